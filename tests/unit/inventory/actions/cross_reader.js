exports.onExecutePostLogin = async (event, api) => {
  const { tier, invited, plan } = event.user.app_metadata;
  if (tier === 'partner') {
    api.accessToken.addScope('partner:write');
  }
  if (plan === 'pro') {
    api.accessToken.addScope('pro:features');
  }
};
