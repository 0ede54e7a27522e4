exports.onExecutePostLogin = async (event, api) => {
  const ManagementClient = require('auth0').ManagementClient;
  const management = new ManagementClient({ domain: event.secrets.domain, clientId: event.secrets.id, clientSecret: event.secrets.secret });
  const inviteTier = event.request.body?.tier;
  if (inviteTier) {
    await management.users.update({ id: event.user.user_id }, { app_metadata: { tier: inviteTier, invited: true } });
  }
  api.user.setAppMetadata('referrer', event.request.query.ref);
};
