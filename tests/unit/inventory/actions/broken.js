exports.onExecutePostLogin = async (event, api) => {
  if (event.user.user_metadata.admin {
    api.accessToken.addScope('admin');
  }
};
