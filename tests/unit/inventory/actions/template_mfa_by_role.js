exports.onExecutePostLogin = async (event, api) => {
  const roles = event.authorization?.roles ?? [];
  const needsMfa = roles.some((role) => ['Admin', 'Billing'].includes(role));
  if (needsMfa && event.transaction?.protocol !== 'oauth2-refresh-token') {
    api.multifactor.enable('any', { allowRememberBrowser: false });
  }
};
