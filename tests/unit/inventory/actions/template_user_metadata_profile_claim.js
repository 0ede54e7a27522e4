// Copies the user's display preferences into the ID token (not an authorization decision).
exports.onExecutePostLogin = async (event, api) => {
  const { theme = 'light', locale } = event.user.user_metadata ?? {};
  api.idToken.setCustomClaim('https://my-app.example.com/theme', theme);
  if (locale) {
    api.idToken.setCustomClaim('https://my-app.example.com/locale', locale);
  }
};
