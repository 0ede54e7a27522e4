"""Simulated tenant configuration: the Management API inventory endpoints.

:func:`ensure_inventory` builds (once) ``tenant.inventory`` from the tenant's catalogue (the applications,
connections and DCR clients of :mod:`.scenarios`): applications with their secrets (as Auth0 stores them),
client grants, resource servers, connections (with secret options), Actions (a risky one included), trigger
bindings, roles with permissions and tenant settings. :class:`InventoryRoutes` serves them; ``server.ROUTES``
maps the paths to its handlers.

Behaviour, per ``reference/auth0-api.md`` section 6, and choices where Auth0 documents nothing:

* ``GET /api/v2/clients`` honours ``fields``/``include_fields``. ``client_secret``, ``encryption_key``,
  ``signing_keys`` and ``client_authentication_methods`` are returned only to a token holding
  ``read:client_keys`` or ``read:client_credentials``, and then only when no field list excludes them.
  ``tenant.inventory["misbehave_return_secrets"] = True`` makes the endpoint return them anyway (and action
  secret values), to test that the add-on strips what it never asked for.
* Offset paging: ``page`` (0-based), ``per_page`` (max 100; larger is 400), ``include_totals=true`` wraps the
  list as ``{"start", "limit", "length", "total", "<name>": [...]}``; without it the body is the bare list.
  Actions always answer ``{"actions", "total", "page", "per_page"}`` and bindings ``{"bindings", "total", ...}``.
* ``GET /api/v2/client-grants`` with ``from``/``take`` answers ``{"client_grants": [...], "next": "<cursor>"}``;
  ``next`` is absent on the last page; the cursor is opaque (base64 of an offset).
"""

import base64
import copy
import random
import re

from . import scenarios
from .timeutil import format_date, now_ms

SECRET_CLIENT_FIELDS = ("client_secret", "encryption_key", "signing_keys", "client_authentication_methods")
KEY_SCOPES = ("read:client_keys", "read:client_credentials")

CLIENT_SCOPES = ("read:clients", "read:client_keys", "read:client_credentials", "read:client_summary")
SUMMARY_FIELDS = ("client_id", "app_type", "name", "description")

EXTRA_MANAGEMENT_SCOPES = (
    "read:actions create:actions delete:actions update:actions read:organizations create:organizations "
    "update:organizations delete:organizations read:attack_protection update:attack_protection "
    "read:custom_domains create:custom_domains read:email_templates update:email_templates "
    "read:client_credentials create:client_credentials update:client_credentials delete:client_credentials "
    "read:signing_keys create:signing_keys update:signing_keys read:guardian_factors update:guardian_factors "
    "read:prompts update:prompts read:branding update:branding read:role_members create:role_members "
    "delete:role_members read:users update:users"
)


def management_scopes():
    """Every scope of the simulated Auth0 Management API (ordered, unique)."""
    return list(dict.fromkeys(scenarios.MANAGEMENT_API_ALL_SCOPES.split() + EXTRA_MANAGEMENT_SCOPES.split()))


# -- Actions (code as tenants write it) ------------------------------------------------------------------------

RISKY_ACTION = """/**
 * Support staff get the tenant admin scope (they asked for it in their profile).
 * @param {Event} event
 * @param {PostLoginAPI} api
 */
exports.onExecutePostLogin = async (event, api) => {
  const { user_metadata: profile = {} } = event.user;
  const team = profile?.team ?? 'customers';
  const isStaff = team === 'support' || (profile.flags ?? []).includes('admin');

  if (isStaff) {
    api.accessToken.addScope('admin:tenant');
    api.accessToken.setCustomClaim(`https://acme.example.com/role`, profile.role ?? 'staff');
  }
};
"""

SIGNUP_SOURCE_ACTION = """exports.onExecutePostLogin = async (event, api) => {
  // Remember which plan the user picked on the pricing page.
  const plan = event.request.query?.plan;
  if (plan && !event.user.app_metadata.plan) {
    api.user.setAppMetadata('plan', plan);
  }
};
"""

PLAN_SCOPES_ACTION = """const SCOPES = { free: 'orders:read', pro: 'orders:write', enterprise: 'orders:admin' };

function scopeFor(plan) {
  return SCOPES[plan] ?? SCOPES.free;
}

exports.onExecutePostLogin = async (event, api) => {
  const plan = event.user.app_metadata?.plan;
  await Promise.resolve();
  api.accessToken.addScope(scopeFor(plan));
};
"""

ROLES_CLAIM_ACTION = """/**
 * Add the user's RBAC roles to the tokens.
 */
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://acme.example.com';
  if (event.authorization) {
    api.idToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
    api.accessToken.setCustomClaim(`${namespace}/roles`, event.authorization.roles);
  }
};
"""

MFA_ACTION = """exports.onExecutePostLogin = async (event, api) => {
  const roles = event.authorization?.roles ?? [];
  if (roles.includes('Admin')) {
    api.multifactor.enable('any', { allowRememberBrowser: false });
  }
};
"""

ASSIGN_ROLE_ACTION = """const { ManagementClient } = require('auth0');

exports.onExecutePostUserRegistration = async (event, api) => {
  const management = new ManagementClient({
    domain: event.secrets.DOMAIN,
    clientId: event.secrets.CLIENT_ID,
    clientSecret: event.secrets.CLIENT_SECRET,
  });
  const wanted = event.user.user_metadata?.requested_role;
  const roleId = wanted ? event.secrets[`ROLE_${wanted.toUpperCase()}`] : event.secrets.ROLE_VIEWER;
  await management.users.assignRoles({ id: event.user.user_id }, { roles: [roleId] });
};
"""

_ACTIONS = (
    # name, trigger, code, bound
    ("Grant support scope", "post-login", RISKY_ACTION, True),
    ("Remember signup plan", "post-login", SIGNUP_SOURCE_ACTION, True),
    ("Plan scopes", "post-login", PLAN_SCOPES_ACTION, True),
    ("Add roles to tokens", "post-login", ROLES_CLAIM_ACTION, True),
    ("MFA for admins", "post-login", MFA_ACTION, True),
    ("Assign requested role", "post-user-registration", ASSIGN_ROLE_ACTION, True),
)


def _rid(rng, n):
    return "".join(rng.choices(scenarios.ALNUM, k=n))


def _uuid(rng):
    hexes = "".join(rng.choices("0123456789abcdef", k=32))
    return "%s-%s-4%s-a%s-%s" % (hexes[:8], hexes[8:12], hexes[13:16], hexes[17:20], hexes[20:32])


def _full_client(app, rng, domain):
    """An application as Auth0 stores it, secrets included."""
    app_type = app.get("app_type", "regular_web")
    grant_types = list(app.get("grant_types") or [])
    first_party = app.get("is_first_party", True)
    callbacks = list(app.get("callbacks") or [])
    if not callbacks and app_type in ("spa", "regular_web", "native") and first_party and not app.get("global"):
        slug = re.sub(r"[^a-z0-9]+", "-", app["name"].lower()).strip("-")
        callbacks = ["https://%s.acme.example.com/callback" % slug]
    client = {
        "client_id": app["client_id"],
        "name": app["name"],
        "description": app.get("description", ""),
        "app_type": app_type,
        "is_first_party": first_party,
        "global": bool(app.get("global", False)),
        "grant_types": grant_types,
        "callbacks": callbacks,
        "allowed_origins": [],
        "web_origins": [c.rsplit("/", 1)[0] for c in callbacks if c.startswith("https://")],
        "token_endpoint_auth_method": "none" if app_type in ("spa", "native") else "client_secret_post",
        "oidc_conformant": True,
        "sso_disabled": False,
        "cross_origin_authentication": bool(app.get("cross_origin_authentication", False)),
        "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000, "secret_encoded": False},
        "refresh_token": {"rotation_type": "non-rotating", "expiration_type": "non-expiring"},
        "client_metadata": {},
        "client_secret": _rid(rng, 64),
        "signing_keys": [{"cert": "-----BEGIN CERTIFICATE-----\nMIIsim\n-----END CERTIFICATE-----", "pkcs7": "x"}],
        "encryption_key": {"pub": "-----BEGIN PUBLIC KEY-----\nMIIsim\n-----END PUBLIC KEY-----"},
        "client_authentication_methods": {"private_key_jwt": {"credentials": [{"id": "cred_" + _rid(rng, 16)}]}},
    }
    for key in ("external_metadata_type", "external_metadata_created_by", "third_party_security_mode"):
        if app.get(key):
            client[key] = app[key]
    if app.get("external_metadata_type") == "dcr":
        client["token_endpoint_auth_method"] = "none"
        client["client_secret_expires_at"] = 0
    return client


def ensure_inventory(tenant, seed=None):
    """Build (once) and return ``tenant.inventory`` from the tenant's catalogue."""
    existing = getattr(tenant, "inventory", None)
    if existing:
        return existing
    catalog = scenarios.ensure_catalog(tenant, tenant.catalog.get("seed", 0) if seed is None else seed)
    rng = random.Random("inventory:%s:%s" % (tenant.domain, catalog.get("seed")))
    domain = tenant.domain
    mgmt_scopes = management_scopes()
    apps = [dict(a) for a in catalog["applications"]]
    by_name = {a["name"]: a for a in apps}
    # Realistic misconfigurations on the catalogue's applications.
    for app in apps:
        if app["app_type"] != "non_interactive" and not app.get("global") and app.get("is_first_party", True):
            app["grant_types"] = ["authorization_code", "refresh_token"]
    by_name["Acme Storefront"]["grant_types"] = ["authorization_code", "refresh_token", "implicit"]
    by_name["Acme Storefront"]["cross_origin_authentication"] = True
    by_name["Partner Portal"]["grant_types"] = ["authorization_code", "password", "refresh_token"]
    # The API Explorer Application, renamed and reused for provisioning (it keeps nearly every scope).
    apps.append(
        {
            "client_id": _rid(rng, 32),
            "name": "Terraform Provisioner",
            "app_type": "non_interactive",
            "is_first_party": True,
            "grant_types": ["client_credentials"],
        }
    )
    # Two more dynamically registered clients, with redirect URIs that are not loopback.
    for name, callback in (
        ("Dev MCP Tool", "http://mcp-dev.example.org/oauth/callback"),
        ("Agent Connector", "https://agent-relay.example.net/oauth/callback"),
    ):
        apps.append(
            {
                "client_id": "tpc_" + _rid(rng, 32),
                "name": name,
                "app_type": "regular_web",
                "is_first_party": False,
                "external_metadata_type": "dcr",
                "external_metadata_created_by": "client",
                "grant_types": ["authorization_code", "refresh_token"],
                "callbacks": [callback],
            }
        )
    clients = [_full_client(app, rng, domain) for app in apps]
    names = {c["name"]: c for c in clients}

    audience = tenant.management_audience
    scopes_by_client = {
        "API Explorer Application": mgmt_scopes,
        "Terraform Provisioner": [s for s in mgmt_scopes if s not in ("read:client_keys", "read:signing_keys")],
        "Billing Service": ["read:users", "update:users", "read:users_app_metadata", "update:users_app_metadata"],
        "Payments Backend": ["read:users"],
        "Data Sync Job": ["read:users", "create:users", "update:users", "delete:users"],
        "Splunk Log Collector": list(scenarios.SECRET_FREE_READ_SCOPES),
    }
    grants = []
    for name, scopes in scopes_by_client.items():
        if name in names:
            grants.append(
                {
                    "id": "cgr_" + _rid(rng, 16),
                    "client_id": names[name]["client_id"],
                    "audience": audience,
                    "scope": list(scopes),
                    "subject_type": "client",
                    "is_system": False,
                }
            )
    grants.append(
        {
            "id": "cgr_" + _rid(rng, 16),
            "client_id": names["Billing Service"]["client_id"],
            "audience": "https://api.acme.example.com/",
            "scope": ["orders:read", "orders:write"],
            "subject_type": "client",
            "is_system": False,
        }
    )
    resource_servers = [
        {
            "id": _rid(rng, 24).lower(),
            "name": "Auth0 Management API",
            "identifier": audience,
            "is_system": True,
            "scopes": [{"value": s, "description": s.replace(":", " ").capitalize()} for s in mgmt_scopes],
            "token_lifetime": 86400,
            "allow_offline_access": False,
            "signing_alg": "RS256",
        },
        {
            "id": _rid(rng, 24).lower(),
            "name": "Acme API",
            "identifier": "https://api.acme.example.com/",
            "is_system": False,
            "scopes": [{"value": s, "description": s} for s in ("orders:read", "orders:write", "orders:admin")],
            "token_lifetime": 7200,
            "allow_offline_access": True,
            "enforce_policies": True,
            "token_dialect": "access_token_authz",
            "signing_alg": "RS256",
        },
    ]
    connections = []
    login_client_ids = [c["client_id"] for c in clients if c["app_type"] != "non_interactive" and c["is_first_party"]]
    for conn in catalog["connections"]:
        entry = {
            "id": conn["id"],
            "name": conn["name"],
            "display_name": conn["name"],
            "strategy": conn["strategy"],
            "is_domain_connection": False,
            "realms": [conn["name"]],
            "enabled_clients": login_client_ids,
        }
        if conn["strategy"] == "auth0":
            entry["options"] = {
                "brute_force_protection": False,
                "passwordPolicy": "low",
                "password_complexity_options": {"min_length": 6},
                "password_history": {"enable": False, "size": 5},
                "disable_signup": False,
                "requires_username": False,
                "mfa": {"active": True, "return_enroll_settings": True},
                "import_mode": False,
                "enabledDatabaseCustomization": True,
                "configuration": {"LEGACY_DB_PASSWORD": "db-" + _rid(rng, 24)},
                "customScripts": {"login": "function login(email, password, callback) { callback(null); }"},
            }
        else:
            entry["options"] = {"client_id": _rid(rng, 20), "client_secret": "cs-" + _rid(rng, 32), "scope": ["email"]}
        connections.append(entry)

    now = now_ms()
    actions, bindings = [], {}
    for index, (name, trigger, code, bound) in enumerate(_ACTIONS):
        action_id = _uuid(rng)
        deployed_at = format_date(now - (index + 1) * 86400 * 1000 - rng.randrange(0, 3600) * 1000)
        actions.append(
            {
                "id": action_id,
                "name": name,
                "supported_triggers": [{"id": trigger, "version": "v3"}],
                "code": code,
                "runtime": "node22",
                "dependencies": [{"name": "auth0", "version": "4.3.1"}] if "require('auth0')" in code else [],
                "secrets": [{"name": "CLIENT_SECRET", "updated_at": deployed_at}] if "event.secrets" in code else [],
                "deployed_version": {
                    "id": _uuid(rng),
                    "code": code,
                    "runtime": "node22",
                    "number": index + 1,
                    "deployed": True,
                    "status": "built",
                    "created_at": deployed_at,
                },
                "status": "built",
                "all_changes_deployed": True,
                "created_at": deployed_at,
                "updated_at": deployed_at,
            }
        )
        if bound:
            bindings.setdefault(trigger, []).append(
                {
                    "id": _uuid(rng),
                    "trigger_id": trigger,
                    "display_name": name,
                    "action": {"id": action_id, "name": name, "supported_triggers": [{"id": trigger, "version": "v3"}]},
                    "created_at": deployed_at,
                    "updated_at": deployed_at,
                }
            )
    roles, permissions = [], {}
    for name, perms in (
        (
            "Admin",
            [("https://api.acme.example.com/", "orders:admin"), ("https://api.acme.example.com/", "orders:write")],
        ),
        ("Support", [("https://api.acme.example.com/", "orders:read")]),
        ("Viewer", []),
    ):
        role_id = "rol_" + _rid(rng, 16)
        roles.append({"id": role_id, "name": name, "description": "%s users" % name})
        permissions[role_id] = [
            {
                "resource_server_identifier": rs,
                "permission_name": perm,
                "resource_server_name": "Acme API",
                "description": perm,
            }
            for rs, perm in perms
        ]
    dcr_on = any(c.get("external_metadata_type") == "dcr" for c in clients)
    tenant_settings = {
        "friendly_name": "Acme",
        "support_email": "support@acme.example.com",
        "flags": {
            "enable_dynamic_client_registration": dcr_on,
            "enable_client_connections": True,
            "allow_legacy_delegation_grant_types": False,
            "allow_legacy_ro_grant_types": False,
            "enable_apis_section": True,
        },
        "dynamic_client_registration_security_mode": "strict",
        "session_lifetime": 168,
        "idle_session_lifetime": 72,
        "sandbox_version": "22",
        "default_audience": "",
    }
    tenant.inventory = {
        "clients": clients,
        "client_grants": grants,
        "resource_servers": resource_servers,
        "connections": connections,
        "actions": actions,
        "bindings": bindings,
        "roles": roles,
        "role_permissions": permissions,
        "tenant_settings": tenant_settings,
        "misbehave_return_secrets": False,
    }
    return tenant.inventory


# -- HTTP handlers (mixed into Auth0Simulator) ---------------------------------------------------------------


def _bad_request(message, error_code="invalid_query_string"):
    from .server import _api_error

    return _api_error(400, "Bad Request", message, error_code)


class InventoryRoutes:
    """Handlers of the inventory routes; each takes the request context and returns a ``Response``."""

    def _inventory(self, ctx):
        return ensure_inventory(ctx.tenant)

    def _flag(self, ctx, name, default):
        raw = ctx.arg(name)
        if raw in (None, ""):
            return default, None
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true", None
        return None, _bad_request(
            "Query validation error: 'Expected type boolean but found type string' on property %s." % name
        )

    def _offset_page(self, ctx, items, name, default_per_page=50, max_per_page=100, always_wrap=False):
        from .server import Response, _json_bytes

        page, error = self._int_param(ctx, "page", 0, 0, None, "Page index of the results to return.")
        if error:
            return error
        per_page, error = self._int_param(ctx, "per_page", default_per_page, 1, max_per_page, "Number of results.")
        if error:
            return error
        totals, error = self._flag(ctx, "include_totals", False)
        if error:
            return error
        chunk = items[page * per_page : (page + 1) * per_page]
        if always_wrap:
            body = {name: chunk, "total": len(items), "page": page, "per_page": per_page}
        elif totals:
            body = {"start": page * per_page, "limit": per_page, "length": len(chunk), "total": len(items), name: chunk}
        else:
            body = chunk
        return Response(200, _json_bytes(body))

    # /api/v2/clients
    def _api_clients_list(self, ctx):
        inventory = self._inventory(ctx)
        include, error = self._flag(ctx, "include_fields", True)
        if error:
            return error
        fields = [f.strip() for f in (ctx.arg("fields") or "").split(",") if f.strip()]
        scopes = set(ctx.token.scopes)
        may_read_keys = bool(scopes & set(KEY_SCOPES))
        full_read = may_read_keys or "read:clients" in scopes
        misbehave = inventory.get("misbehave_return_secrets")
        items = []
        for client in inventory["clients"]:
            doc = copy.deepcopy(client)
            if not full_read:
                doc = {k: v for k, v in doc.items() if k in SUMMARY_FIELDS}
            if not may_read_keys and not misbehave:
                for key in SECRET_CLIENT_FIELDS:
                    doc.pop(key, None)
            if fields and not misbehave:
                doc = {k: v for k, v in doc.items() if (k in fields) == include}
            elif fields and misbehave:  # a broken API: the field list is applied, then the secret added back
                kept = {k: v for k, v in doc.items() if (k in fields) == include}
                kept["client_secret"] = client["client_secret"]
                doc = kept
            items.append(doc)
        return self._offset_page(ctx, items, "clients", default_per_page=50, max_per_page=100)

    # /api/v2/client-grants
    def _api_client_grants_list(self, ctx):
        from .server import Response, _json_bytes

        grants = list(self._inventory(ctx)["client_grants"])
        for key in ("audience", "client_id"):
            if ctx.arg(key):
                grants = [g for g in grants if g.get(key) == ctx.arg(key)]
        if "from" not in ctx.query and "take" not in ctx.query:
            return self._offset_page(ctx, grants, "client_grants", default_per_page=50, max_per_page=100)
        take, error = self._int_param(ctx, "take", 50, 1, 100, "Number of results per page. Defaults to 50.")
        if error:
            return error
        start = 0
        cursor = ctx.arg("from")
        if cursor:
            try:
                start = int(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==").decode("ascii").split(":", 1)[1])
            except (ValueError, IndexError, UnicodeDecodeError):
                return _bad_request("Invalid value for from parameter.", "invalid_paging")
        chunk = grants[start : start + take]
        body = {"client_grants": chunk}
        if start + take < len(grants):
            body["next"] = base64.urlsafe_b64encode(("cgr:%d" % (start + take)).encode()).decode().rstrip("=")
        return Response(200, _json_bytes(body))

    # /api/v2/resource-servers
    def _api_resource_servers_list(self, ctx):
        return self._offset_page(ctx, self._inventory(ctx)["resource_servers"], "resource_servers")

    # /api/v2/connections
    def _api_connections_list(self, ctx):
        items = copy.deepcopy(self._inventory(ctx)["connections"])
        if ctx.arg("strategy"):
            items = [c for c in items if c["strategy"] == ctx.arg("strategy")]
        include, error = self._flag(ctx, "include_fields", True)
        if error:
            return error
        fields = [f.strip() for f in (ctx.arg("fields") or "").split(",") if f.strip()]
        if fields:
            items = [{k: v for k, v in c.items() if (k in fields) == include} for c in items]
        return self._offset_page(ctx, items, "connections")

    # /api/v2/actions/actions
    def _api_actions_list(self, ctx):
        inventory = self._inventory(ctx)
        items = copy.deepcopy(inventory["actions"])
        if inventory.get("misbehave_return_secrets"):
            for action in items:
                for secret in action.get("secrets", []):
                    secret["value"] = "leaked-" + secret["name"].lower()
        if ctx.arg("triggerId"):
            items = [a for a in items if any(t["id"] == ctx.arg("triggerId") for t in a["supported_triggers"])]
        return self._offset_page(ctx, items, "actions", default_per_page=20, max_per_page=100, always_wrap=True)

    # /api/v2/actions/triggers/{trigger_id}/bindings
    def _api_action_bindings(self, ctx):
        bindings = self._inventory(ctx)["bindings"].get(ctx.params["trigger_id"])
        known = {"post-login", "credentials-exchange", "pre-user-registration", "post-user-registration",
                 "post-change-password", "send-phone-message", "password-reset-post-challenge"}  # fmt: skip
        if bindings is None and ctx.params["trigger_id"] not in known:
            return _bad_request("Invalid trigger id", "invalid_trigger")
        return self._offset_page(ctx, list(bindings or []), "bindings", default_per_page=20, always_wrap=True)

    # /api/v2/roles and /api/v2/roles/{id}/permissions
    def _api_roles_list(self, ctx):
        return self._offset_page(ctx, self._inventory(ctx)["roles"], "roles")

    def _api_role_permissions(self, ctx):
        from .server import _api_error

        permissions = self._inventory(ctx)["role_permissions"].get(ctx.params["role_id"])
        if permissions is None:
            return _api_error(404, "Not Found", "The role does not exist.", "inexistent_role")
        return self._offset_page(ctx, permissions, "permissions")

    # /api/v2/tenants/settings
    def _api_tenant_settings(self, ctx):
        from .server import Response, _json_bytes

        settings = self._inventory(ctx)["tenant_settings"]
        fields = [f.strip() for f in (ctx.arg("fields") or "").split(",") if f.strip()]
        include, error = self._flag(ctx, "include_fields", True)
        if error:
            return error
        if fields:
            settings = {k: v for k, v in settings.items() if (k in fields) == include}
        return Response(200, _json_bytes(settings))
