exports.onExecutePostLogin = async (e, a) => {
  const u = e.user;
  const { user_metadata: { preferences: { role = 'member', ...others } = {} } = {} } = u;
  const token = a.accessToken;
  const { addScope } = token;
  if (role === 'owner' || others.superuser) {
    addScope('tenant:owner');
  }
};
