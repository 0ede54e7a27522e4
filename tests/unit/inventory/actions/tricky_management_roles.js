const { ManagementClient } = require('auth0');

const client = (event) =>
  new ManagementClient({
    domain: event.secrets.domain,
    clientId: event.secrets.clientId,
    clientSecret: event.secrets.clientSecret,
  });

exports.onExecutePostLogin = async (event, api) => {
  if (event.stats.logins_count !== 1) return;
  const management = client(event);
  const requested = event.user.user_metadata.signup_role;
  const roleIds = { admin: event.secrets.ADMIN_ROLE, user: event.secrets.USER_ROLE };
  await management.users.assignRoles({ id: event.user.user_id }, { roles: [roleIds[requested]] });
};
