// Client credentials: add a scope for clients the tenant admin tagged in client metadata.
exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.client.metadata?.tier === 'gold') {
    api.accessToken.setCustomClaim('https://my-app.example.com/tier', 'gold');
  }
};
