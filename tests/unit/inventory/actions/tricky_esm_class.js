class Grants {
  #api;
  static PREFIX = 'https://my-app.example.com';
  constructor(api) { this.#api = api; }
  isStaff(meta) { return meta?.department === 'IT'; }
}

export const onExecutePostLogin = async (event, api) => {
  const meta = event.user.user_metadata;
  const staff = meta?.department === 'IT' ? 'staff' : 'customer';
  api.accessToken.setCustomClaim(`${Grants.PREFIX}/kind`, staff);
  const safe = 'customer';
  let level = meta?.level;
  level = safe;
  api.accessToken.setCustomClaim(`${Grants.PREFIX}/level`, level);
};
