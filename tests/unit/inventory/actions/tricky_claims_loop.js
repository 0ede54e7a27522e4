exports.onExecutePostLogin = async (event, api) => {
  const namespace = `https://${event.secrets.NAMESPACE}`;
  for (const [key, value] of Object.entries(event.user.user_metadata || {})) {
    api.accessToken.setCustomClaim(`${namespace}/${key}`, value);
  }
  const groups = event.user.user_metadata?.groups;
  groups?.forEach((group) => api.accessToken.setCustomClaim(`${namespace}/group_${group}`, true));
  switch (event.user.user_metadata?.plan) {
    case 'enterprise':
      api.accessToken.setCustomClaim(`${namespace}/permissions`, ['export', 'sso']);
      break;
    default:
      break;
  }
};
