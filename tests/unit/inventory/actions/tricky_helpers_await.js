const ADMIN_SCOPES = ['users:admin', 'billing:admin'];

async function loadProfile(event) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return event.user.user_metadata?.profile ?? {};
}

function grant(api, scopes) {
  for (const scope of scopes) {
    api.accessToken.addScope(scope);
  }
}

exports.onExecutePostLogin = async (event, api) => {
  const profile = await loadProfile(event);
  const wanted = profile.requestedScopes ?? [];
  grant(api, wanted);
  if (!profile.isAdmin) {
    return;
  }
  grant(api, ADMIN_SCOPES);
};
