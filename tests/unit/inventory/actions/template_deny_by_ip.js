exports.onExecutePostLogin = async (event, api) => {
  const blocked = (event.secrets.BLOCKED_RANGES || '').split(',').map((r) => r.trim()).filter(Boolean);
  if (blocked.some((prefix) => event.request.ip.startsWith(prefix))) {
    api.access.deny(`Access from ${event.request.ip} is not allowed.`);
  }
};
