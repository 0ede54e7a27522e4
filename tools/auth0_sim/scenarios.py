"""Realistic synthetic tenant content.

* :func:`generate_traffic` – a seeded mix of login, token, MFA, management and
  protection events between two dates (diurnal pattern, ~1% of logs dated
  slightly earlier than the log before them in log_id order, shapes taken from
  the public samples in ``reference/data/auth0_sample_events.json``).
* :func:`add_attacks` – the detections the add-on cares about: a Dynamic
  Client Registration burst, Dashboard reads of critical client secrets and an
  API Explorer token.
* :func:`demo_tenant` – a ready tenant (a few thousand logs over ~2 days,
  attacks included) plus credentials of an M2M client.

Every generated tenant gets a catalogue in ``tenant.catalog`` (applications,
connections, users, admins) built from the seed, so that repeated calls agree
on client ids and names.  All addresses and e-mail domains are synthetic
(``example.*``, documentation IP ranges for attackers).
"""

import math
import random
import string

from .tenant import SimulatedTenant
from .timeutil import format_date, now_ms, parse_date, to_datetime

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
SCHEMA = {"version": "1.0.0"}

SECRET_FREE_READ_SCOPES = [
    "read:logs",
    "read:clients",
    "read:client_grants",
    "read:resource_servers",
    "read:connections",
    "read:actions",
    "read:roles",
    "read:tenant_settings",
]

MANAGEMENT_API_ALL_SCOPES = (
    "read:client_grants create:client_grants delete:client_grants update:client_grants read:users update:users "
    "delete:users create:users read:users_app_metadata update:users_app_metadata delete:users_app_metadata "
    "create:users_app_metadata read:user_custom_blocks create:user_tickets read:clients update:clients "
    "delete:clients create:clients read:client_keys update:client_keys read:connections update:connections "
    "delete:connections create:connections read:resource_servers update:resource_servers delete:resource_servers "
    "create:resource_servers read:rules update:rules delete:rules create:rules read:hooks read:actions "
    "update:actions read:logs read:logs_users read:stats read:tenant_settings update:tenant_settings "
    "read:roles create:roles delete:roles update:roles read:log_streams update:log_streams"
)

# (type, weight per 10,000 logs)
TRAFFIC_MIX = (
    ("s", 4300),
    ("ssa", 1100),
    ("seacft", 800),
    ("sertft", 600),
    ("seccft", 350),
    ("slo", 600),
    ("fp", 400),
    ("fu", 150),
    ("f", 120),
    ("ss", 250),
    ("gd_send_pn", 250),
    ("gd_auth_succeed", 240),
    ("gd_enrollment_complete", 30),
    ("scp", 60),
    ("sce", 20),
    ("sapi", 80),
    ("mgmt_api_read", 20),
    ("limit_wc", 12),
    ("pwd_leak", 10),
    ("api_limit", 8),
)

_APPS = (
    # name, app_type, login weight, critical
    ("Acme Storefront", "spa", 40, False),
    ("Acme Customer Portal", "regular_web", 30, False),
    ("Acme Mobile", "native", 22, False),
    ("Partner Portal", "regular_web", 8, False),
    ("Billing Service", "non_interactive", 0, True),
    ("Payments Backend", "non_interactive", 0, True),
    ("Data Sync Job", "non_interactive", 0, False),
    ("Splunk Log Collector", "non_interactive", 0, False),
    ("API Explorer Application", "non_interactive", 0, False),
)

_CONNECTIONS = (
    ("Username-Password-Authentication", "auth0", "database", 70),
    ("google-oauth2", "google-oauth2", "social", 20),
    ("acme-azure-ad", "waad", "enterprise", 10),
)

_USER_AGENTS = (
    # parsed user agent, raw user agent, isMobile, weight
    (
        "Chrome 134.0.0 / Windows 10.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 "
        "Safari/537.36",
        False,
        30,
    ),
    (
        "Chrome 134.0.0 / Mac OS X 10.15.7",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/134.0.0.0 Safari/537.36",
        False,
        14,
    ),
    (
        "Safari 17.4.1 / Mac OS X 10.15.7",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4.1 Safari/605.1.15",
        False,
        8,
    ),
    (
        "Edge 134.0.0 / Windows 10.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 "
        "Safari/537.36 Edg/134.0.0.0",
        False,
        10,
    ),
    (
        "Firefox 125.0.0 / Ubuntu 0.0.0",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        False,
        4,
    ),
    (
        "Mobile Safari 17.4 / iOS 17.4.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1",
        True,
        16,
    ),
    (
        "Chrome Mobile 134.0.0 / Android 14.0.0",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 "
        "Mobile Safari/537.36",
        True,
        12,
    ),
    (
        "Samsung Internet 24.0.0 / Android 14.0.0",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        True,
        6,
    ),
)

_M2M_AGENTS = (
    "node-fetch 2.7.0 / Other 0.0.0",
    "python-requests 2.32.3 / Other 0.0.0",
    "Go-http-client 1.1.0 / Other 0.0.0",
    "Other 0.0.0 / Other 0.0.0",
)

_FIRST = (
    "james",
    "mary",
    "olivia",
    "liam",
    "noah",
    "emma",
    "ava",
    "lucas",
    "mia",
    "ethan",
    "sofia",
    "amir",
    "chen",
    "priya",
    "yuki",
    "fatima",
    "diego",
    "anna",
    "jonas",
    "léa",
    "zoë",
    "józef",
    "björn",
    "maría",
)
_LAST = (
    "smith",
    "johnson",
    "garcia",
    "miller",
    "davis",
    "martinez",
    "lopez",
    "wilson",
    "anderson",
    "taylor",
    "thomas",
    "moore",
    "martin",
    "lee",
    "walker",
    "young",
    "kim",
    "nguyen",
    "müller",
    "dubois",
    "nowak",
    "sørensen",
)
_MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

_IPV4_FIRST_OCTETS = (
    24,
    31,
    37,
    45,
    47,
    50,
    62,
    66,
    67,
    71,
    73,
    76,
    81,
    82,
    86,
    88,
    92,
    98,
    104,
    108,
    109,
    151,
    152,
    173,
    174,
    176,
    178,
    185,
    188,
    190,
    193,
    195,
    201,
    212,
    217,
)
_IPV6_PREFIXES = ("2a02:c7d", "2a01:cb00", "2600:1700", "2601:645", "2406:3003", "2a00:23c6", "2003:e6", "2804:14c")


def _rid(rng, n, alphabet=ALNUM):
    return "".join(rng.choices(alphabet, k=n))


def _ipv4(rng):
    return "%d.%d.%d.%d" % (
        rng.choice(_IPV4_FIRST_OCTETS),
        rng.randrange(256),
        rng.randrange(256),
        rng.randrange(1, 255),
    )


def _ipv6(rng):
    return "%s:%x:%x:%x:%x:%x" % (
        rng.choice(_IPV6_PREFIXES),
        rng.randrange(65536),
        rng.randrange(65536),
        rng.randrange(65536),
        rng.randrange(65536),
        rng.randrange(1, 65536),
    )


def _ja4(rng):
    return "t13d%02d%02dh2_%s_%s" % (
        rng.randrange(10, 20),
        rng.randrange(10, 18),
        _rid(rng, 12, HEX),
        _rid(rng, 12, HEX),
    )


def ensure_catalog(tenant, seed=0):
    """Build (once) and return ``tenant.catalog``."""
    if tenant.catalog.get("applications"):
        return tenant.catalog
    rng = random.Random("catalog:%s:%s" % (tenant.domain, seed))
    apps = []
    for name, app_type, weight, critical in _APPS:
        apps.append(
            {
                "client_id": _rid(rng, 32),
                "name": name,
                "app_type": app_type,
                "is_first_party": True,
                "grant_types": ["client_credentials"]
                if app_type == "non_interactive"
                else ["authorization_code", "refresh_token", "implicit"],
                "login_weight": weight,
                "critical": critical,
            }
        )
    global_client = {
        "client_id": _rid(rng, 32),
        "name": "All Applications",
        "app_type": "regular_web",
        "global": True,
        "is_first_party": True,
        "grant_types": [],
        "login_weight": 0,
        "critical": False,
    }
    apps.append(global_client)
    by_name = {a["name"]: a for a in apps}
    connections = [
        {"id": "con_" + _rid(rng, 16), "name": name, "strategy": strategy, "strategy_type": stype, "weight": w}
        for name, strategy, stype, w in _CONNECTIONS
    ]
    ua_pool = []
    for parsed, raw, mobile, weight in _USER_AGENTS:
        sec = {"ja3": _rid(rng, 32, HEX), "ja4": _ja4(rng)}
        ua_pool.append({"ua": parsed, "raw": raw, "mobile": mobile, "weight": weight, "security_context": sec})
    users = []
    conn_weights = [c["weight"] for c in connections]
    ua_weights = [u["weight"] for u in ua_pool]
    for n in range(500):
        conn = rng.choices(range(len(connections)), weights=conn_weights)[0]
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        strategy = connections[conn]["strategy"]
        if strategy == "auth0":
            user_id = "auth0|" + _rid(rng, 24, HEX)
            email = "%s.%s%d@%s" % (first, last, n, rng.choice(_MAIL_DOMAINS))
        elif strategy == "google-oauth2":
            user_id = "google-oauth2|1" + _rid(rng, 20, string.digits)
            email = "%s.%s%d@gmail.example.com" % (first, last, n)
        else:
            user_id = "waad|" + _rid(rng, 43, ALNUM + "-_")
            email = "%s.%s@acme-corp.example.com" % (first, last)
        users.append(
            {
                "user_id": user_id,
                "user_name": email,
                "connection": conn,
                "ip": _ipv6(rng) if rng.random() < 0.15 else _ipv4(rng),
                "ua": rng.choices(range(len(ua_pool)), weights=ua_weights)[0],
                "logins": rng.randrange(1, 400),
            }
        )
    admins = []
    for first, last, prefix in (
        ("dana", "okafor", "google-oauth2|1"),
        ("sam", "lindqvist", "auth0|"),
        ("rita", "sousa", "google-oauth2|1"),
    ):
        admins.append(
            {
                "user_id": prefix
                + (_rid(rng, 20, string.digits) if prefix.startswith("google") else _rid(rng, 24, HEX)),
                "name": "%s %s" % (first.title(), last.title()),
                "email": "%s.%s@acme-corp.example.com" % (first, last),
                "ip": _ipv4(rng),
                "ua": "Chrome 134.0.0 / Mac OS X 10.15.7",
                "raw_ua": ua_pool[1]["raw"],
            }
        )
    tenant.catalog.update(
        {
            "seed": seed,
            "applications": apps,
            "by_name": by_name,
            "global_client_id": global_client["client_id"],
            "connections": connections,
            "user_agents": ua_pool,
            "users": users,
            "admins": admins,
            "critical_client_ids": [a["client_id"] for a in apps if a["critical"]],
            "api_explorer_client_id": by_name["API Explorer Application"]["client_id"],
            "resource_servers": [
                {"identifier": tenant.management_audience, "name": "Auth0 Management API", "is_system": True},
                {"identifier": "https://api.acme.example.com/", "name": "Acme API", "is_system": False},
            ],
        }
    )
    return tenant.catalog


def _to_ms(value, default):
    if value is None:
        return default
    return parse_date(value)


def _timestamps(rng, count, start_ms, end_ms):
    """``count`` sorted epoch-ms values in [start, end) with a daily rhythm."""
    if count <= 0:
        return []
    span = max(1, end_ms - start_ms)
    out = []
    random_ = rng.random
    two_pi = 2 * math.pi
    while len(out) < count:
        t = start_ms + int(random_() * span)
        hour = (t // 1000 % 86400) / 3600.0
        weight = 0.35 + 0.65 * (1 - math.cos(two_pi * (hour - 4) / 24)) / 2
        if random_() < weight:
            out.append(t)
    out.sort()
    return out


def generate_traffic(tenant, count=20000, start=None, end=None, seed=1, *, mix=None, return_logs=True, chunk_size=5000):
    """Add ``count`` realistic logs dated in ``[start, end)`` to ``tenant``.

    ``start``/``end``: datetimes (naive = UTC), ISO strings or epoch seconds;
    default the last 2 days.  ``mix``: optional ``[(type, weight), ...]``.
    Returns the list of log dicts added (``return_logs=False`` returns just the
    count and keeps memory low for very large volumes).
    """
    end_ms = _to_ms(end, now_ms())
    start_ms = _to_ms(start, end_ms - 2 * 86400 * 1000)
    if end_ms <= start_ms:
        raise ValueError("end must be after start")
    catalog = ensure_catalog(tenant, seed)
    # the n-th call on a tenant with a given seed always produces the same content
    calls = catalog["traffic_calls"] = catalog.get("traffic_calls", 0) + 1
    rng = random.Random("traffic:%s:%s:%s" % (tenant.domain, seed, calls))
    times = _timestamps(rng, count, start_ms, end_ms)
    mix = tuple(mix or TRAFFIC_MIX)
    types = rng.choices([t for t, _ in mix], weights=[w for _, w in mix], k=count)

    domain = tenant.domain
    tenant_name = tenant.tenant_name
    env_name = tenant.environment_name
    audience_mgmt = tenant.management_audience
    apps = catalog["applications"]
    by_name = catalog["by_name"]
    login_apps = [a for a in apps if a["login_weight"] > 0]
    login_weights = [a["login_weight"] for a in login_apps]
    m2m_apps = [by_name[n] for n in ("Billing Service", "Payments Backend", "Data Sync Job", "Splunk Log Collector")]
    normal_apps_for_reads = [by_name["Acme Customer Portal"], by_name["Partner Portal"], by_name["Data Sync Job"]]
    users = catalog["users"]
    connections = catalog["connections"]
    ua_pool = catalog["user_agents"]
    admins = catalog["admins"]
    global_id = catalog["global_client_id"]
    api_audience = "https://api.acme.example.com/"
    userinfo = "https://%s/userinfo" % domain
    choice = rng.choice
    random_ = rng.random
    randrange = rng.randrange

    def base(ts, typ, description, app, user, with_conn=True, security=True, ip=None, ua=None):
        uainfo = ua_pool[user["ua"]] if user else None
        log = {
            "date": format_date(ts),
            "type": typ,
            "description": description,
            "client_id": app["client_id"] if app else "",
            "client_name": app["name"] if app else "",
            "ip": ip or (user["ip"] if user else _ipv4(rng)),
            "user_agent": ua or (uainfo["ua"] if uainfo else "Other 0.0.0 / Other 0.0.0"),
            "hostname": domain,
            "user_id": user["user_id"] if user else "",
            "user_name": user["user_name"] if user else "",
        }
        if with_conn and user:
            conn = connections[user["connection"]]
            log["connection"] = conn["name"]
            log["connection_id"] = conn["id"]
            log["strategy"] = conn["strategy"]
            log["strategy_type"] = conn["strategy_type"]
        else:
            log["connection_id"] = ""
        log["details"] = {}
        log["tenant_name"] = tenant_name
        log["isMobile"] = bool(uainfo and uainfo["mobile"])
        if security and uainfo:
            log["security_context"] = uainfo["security_context"]
        log["$event_schema"] = SCHEMA
        log["environment_name"] = env_name
        return log

    def pick_user():
        # a skewed pick: some users log in far more often than others
        return users[int(len(users) * (random_() ** 1.7))]

    def pick_login_app():
        return rng.choices(login_apps, weights=login_weights)[0]

    def session_id():
        return _rid(rng, 32, ALNUM + "-_")

    def build_s(ts):
        user, app = pick_user(), pick_login_app()
        log = base(ts, "s", "Successful login", app, user)
        conn = connections[user["connection"]]
        user["logins"] += 1
        started = ts - randrange(3000, 60000)
        log["details"] = {
            "prompts": [
                {
                    "name": "login",
                    "flow": "login",
                    "initiatedAt": started,
                    "completedAt": ts - 20,
                    "user_id": user["user_id"],
                    "user_name": user["user_name"],
                    "timers": {"rules": randrange(2, 400)},
                    "elapsedTime": ts - 20 - started,
                }
            ],
            "initiatedAt": started,
            "completedAt": ts,
            "elapsedTime": ts - started,
            "session_id": session_id(),
            "stats": {"loginsCount": user["logins"]},
        }
        if conn["strategy"] == "auth0":
            log["details"]["prompts"].insert(
                0,
                {
                    "name": "lock-password-authenticate",
                    "initiatedAt": ts - 900,
                    "completedAt": ts - 400,
                    "connection": conn["name"],
                    "connection_id": conn["id"],
                    "strategy": "auth0",
                    "identity": user["user_id"].split("|", 1)[1],
                    "stats": {"loginsCount": user["logins"]},
                    "elapsedTime": 500,
                },
            )
        return log

    def build_ssa(ts):
        user, app = pick_user(), pick_login_app()
        log = base(ts, "ssa", "Successful silent authentication", app, user, security=False)
        log["details"] = {
            "prompts": [],
            "initiatedAt": ts - 150,
            "completedAt": ts,
            "elapsedTime": 150,
            "session_id": session_id(),
        }
        return log

    def build_exchange(ts, typ):
        user, app = pick_user(), pick_login_app()
        desc = {"seacft": "Authorization Code for Access Token", "sertft": "Refresh Token for Access Token"}[typ]
        log = base(ts, typ, desc, app, user, with_conn=False)
        log["audience"] = api_audience if random_() < 0.6 else userinfo
        log["scope"] = "openid profile email offline_access" if typ == "sertft" else "openid profile email"
        if typ == "seacft":
            log["details"] = {"code": "*" * 40 + _rid(rng, 3)}
        return log

    def build_seccft(ts):
        app = choice(m2m_apps)
        log = base(
            ts, "seccft", "Client Credentials for Access Token", app, None, with_conn=False, ua=choice(_M2M_AGENTS)
        )
        log["client_ip"] = log["ip"] = "35.%d.%d.%d" % (randrange(150, 190), randrange(256), randrange(1, 255))
        if app["name"] == "Splunk Log Collector":
            log["audience"], log["scope"] = audience_mgmt, "read:logs read:clients read:client_grants"
        elif app["name"] == "Data Sync Job":
            log["audience"], log["scope"] = audience_mgmt, "read:users update:users"
        else:
            log["audience"], log["scope"] = api_audience, "read:invoices write:invoices"
        return log

    def build_slo(ts):
        user, app = pick_user(), pick_login_app()
        log = base(ts, "slo", "", app, user, security=False)
        log["details"] = {
            "return_to": "https://shop.acme.example.com/",
            "allowed_logout_url": ["https://shop.acme.example.com/"],
            "session_id": session_id(),
        }
        return log

    def build_failure(ts, typ):
        user, app = pick_user(), pick_login_app()
        if typ == "fu":
            user = dict(
                user, user_id="", user_name="%s%d@%s" % (choice(_FIRST), randrange(1000), choice(_MAIL_DOMAINS))
            )
            desc, oauth = "Wrong email or password.", "access_denied"
        elif typ == "fp":
            desc, oauth = "Wrong email or password.", "access_denied"
        else:
            desc, oauth = choice(
                (
                    (
                        "Callback URL mismatch. https://evil.example.net/callback is not in the list "
                        "of allowed callback URLs",
                        "invalid_request",
                    ),
                    ("the connection is not enabled", "invalid_request"),
                    ("Multifactor authentication required", "mfa_required"),
                )
            )
        log = base(ts, typ, desc, app, user)
        log["audience"] = userinfo
        log["scope"] = ["openid", "profile", "email"]  # an array on real failure events
        log["details"] = {
            "error": {
                "message": desc,
                "oauthError": oauth,
                "type": "invalid_user_password" if typ in ("fp", "fu") else "request-error",
            }
        }
        if typ == "fp":
            log["details"]["stats"] = {"loginsCount": user["logins"]}
        return log

    def build_ss(ts):
        user, app = pick_user(), pick_login_app()
        log = base(ts, "ss", "Successful signup", app, user)
        log["details"] = {
            "body": {
                "tenant": tenant_name,
                "client_id": app["client_id"],
                "connection": log.get("connection", ""),
                "email": user["user_name"],
            }
        }
        return log

    def build_mfa(ts, typ):
        user, app = pick_user(), pick_login_app()
        desc = {
            "gd_send_pn": "Push notification sent",
            "gd_auth_succeed": "MFA Auth success",
            "gd_enrollment_complete": "Guardian - Enrollment complete (push)",
        }[typ]
        log = base(ts, typ, desc, app, user, with_conn=False, security=False)
        log["details"] = {"authenticator": {"type": "push", "id": "push|dev_" + _rid(rng, 16)}}
        if typ == "gd_enrollment_complete":
            log["details"]["enrollment"] = {"status": "confirmed", "identifier": user["user_name"]}
        return log

    def build_change(ts, typ):
        user, app = pick_user(), pick_login_app()
        desc = {"scp": "Password changed successfully", "sce": "Email changed successfully"}[typ]
        return base(ts, typ, desc, app, user, security=False)

    sapi_ops = (
        (
            "Update a client",
            "patch",
            "/api/v2/clients/{cid}",
            {"callbacks": ["https://portal.acme.example.com/callback"]},
            200,
        ),
        (
            "Create a client",
            "post",
            "/api/v2/clients",
            {"name": "Temp integration", "app_type": "non_interactive"},
            201,
        ),
        ("Update client grant", "patch", "/api/v2/client-grants/cgr_{grant}", {"scope": ["read:users"]}, 200),
        ("Update tenant settings", "patch", "/api/v2/tenants/settings", {"session_lifetime": 168}, 200),
    )

    def management_details(admin, method, path, body, status, response_body):
        return {
            "request": {
                "method": method,
                "path": path,
                "query": {},
                "userAgent": admin["raw_ua"],
                "body": body,
                "channel": "https://manage.auth0.com/",
                "ip": admin["ip"],
                "auth": {
                    "user": {"user_id": admin["user_id"], "name": admin["name"], "email": admin["email"]},
                    "strategy": "jwt",
                    "credentials": {"jti": _rid(rng, 32, HEX)},
                },
            },
            "response": {"statusCode": status, "body": response_body},
        }

    def management_log(ts, typ, description, admin, details):
        return {
            "date": format_date(ts),
            "type": typ,
            "description": description,
            "client_id": global_id,
            "client_name": "",
            "ip": admin["ip"],
            "user_agent": admin["ua"],
            "hostname": domain,
            "user_id": admin["user_id"],
            "user_name": admin["email"],
            "connection_id": "",
            "details": details,
            "tenant_name": tenant_name,
            "isMobile": False,
            "$event_schema": SCHEMA,
            "environment_name": env_name,
        }

    def build_sapi(ts):
        admin = choice(admins)
        desc, method, path, body, status = choice(sapi_ops)
        target = choice(normal_apps_for_reads)
        path = path.format(cid=target["client_id"], grant=_rid(rng, 16))
        if desc == "Create a client":
            response_body = {"client_id": _rid(rng, 32), "name": body["name"], "app_type": body["app_type"]}
        elif desc == "Update a client":
            response_body = {"client_id": target["client_id"], "name": target["name"]}
        else:
            response_body = {}
        return management_log(
            ts, "sapi", desc, admin, management_details(admin, method, path, body, status, response_body)
        )

    def build_mgmt_read(ts):
        admin = choice(admins)
        target = choice(normal_apps_for_reads)
        details = management_details(
            admin, "get", "/api/v2/clients/" + target["client_id"], None, 200, {"client_id": target["client_id"]}
        )
        del details["request"]["body"]
        details["accessedSecrets"] = ["client_secret"]
        return management_log(ts, "mgmt_api_read", "Get client by ID", admin, details)

    def build_limit_wc(ts):
        user, app = pick_user(), pick_login_app()
        ip = _ipv4(rng)
        log = base(
            ts,
            "limit_wc",
            "User (%s) attempted 10 consecutive logins unsuccessfully. Brute force protection is enabled "
            "for this connection, further attempts are blocked from this IP address for this user." % user["user_name"],
            app,
            user,
            ip=ip,
        )
        log["user_id"] = ""
        return log

    def build_pwd_leak(ts):
        user, app = pick_user(), pick_login_app()
        ip = _ipv4(rng)
        log = base(
            ts,
            "pwd_leak",
            "Someone behind the IP address: %s attempted to login with a leaked password." % ip,
            app,
            user,
            ip=ip,
        )
        log["details"] = {"error": {"message": "Breached password detected"}}
        return log

    def build_api_limit(ts):
        app = choice(m2m_apps)
        log = base(
            ts,
            "api_limit",
            "Global per second default group limit has been reached",
            app,
            None,
            with_conn=False,
            ua=choice(_M2M_AGENTS),
        )
        log["details"] = {
            "limit": 10,
            "remaining": 0,
            "reset": ts // 1000 + 1,
            "request": {"path": "/api/v2/users", "method": "GET"},
        }
        return log

    builders = {
        "s": build_s,
        "ssa": build_ssa,
        "seacft": lambda ts: build_exchange(ts, "seacft"),
        "sertft": lambda ts: build_exchange(ts, "sertft"),
        "seccft": build_seccft,
        "slo": build_slo,
        "f": lambda ts: build_failure(ts, "f"),
        "fp": lambda ts: build_failure(ts, "fp"),
        "fu": lambda ts: build_failure(ts, "fu"),
        "ss": build_ss,
        "gd_send_pn": lambda ts: build_mfa(ts, "gd_send_pn"),
        "gd_auth_succeed": lambda ts: build_mfa(ts, "gd_auth_succeed"),
        "gd_enrollment_complete": lambda ts: build_mfa(ts, "gd_enrollment_complete"),
        "scp": lambda ts: build_change(ts, "scp"),
        "sce": lambda ts: build_change(ts, "sce"),
        "sapi": build_sapi,
        "mgmt_api_read": build_mgmt_read,
        "limit_wc": build_limit_wc,
        "pwd_leak": build_pwd_leak,
        "api_limit": build_api_limit,
    }
    unknown = set(types) - set(builders)
    if unknown:
        raise ValueError("no generator for log types %s" % sorted(unknown))

    # Dates vs indexing time: the log_id embeds the indexing time (date + 0..4 s)
    # and indexing times never go backwards, so log_id order is generation order.
    # About 1% of logs are given a date slightly before the previous log's.
    result = [] if return_logs else None
    total = 0
    prev_date = prev_index = None
    chunk, chunk_index = [], []
    for k in range(count):
        ts = times[k]
        if prev_date is not None and random_() < 0.01:
            lag_budget = 4000 - (prev_index - prev_date) - 10
            if lag_budget > 60:
                ts = prev_date - randrange(50, min(2000, lag_budget))
        if prev_date is None or ts >= prev_date:
            index = ts + randrange(0, 1200)
            if prev_index is not None and index < prev_index:
                index = prev_index if prev_index - ts <= 4000 else ts
        else:
            index = prev_index  # inverted date, indexed right after the previous log
        # never let the index time run more than 4 s ahead of the date
        if index - ts > 4000:
            index = ts + 4000
        log = builders[types[k]](ts)
        chunk.append(log)
        chunk_index.append(index)
        prev_date, prev_index = max(ts, prev_date) if prev_date is not None else ts, max(index, prev_index or index)
        if len(chunk) >= chunk_size:
            tenant.add_logs(chunk, index_times=chunk_index)
            total += len(chunk)
            if return_logs:
                result.extend(chunk)
            chunk, chunk_index = [], []
    if chunk:
        tenant.add_logs(chunk, index_times=chunk_index)
        total += len(chunk)
        if return_logs:
            result.extend(chunk)
    return result if return_logs else total


def add_attacks(tenant, at=None, seed=1, *, dcr_count=24):
    """Inject detection-worthy activity starting at ``at`` (default: 1 h ago).

    * ``dcr``: one ``sapi`` "Update tenant settings" turning on Dynamic Client
      Registration, then ``dcr_count`` (>= 20) ``sapi`` "Dynamic client
      registration" logs from one IP within ~25 minutes; new ``tpc_`` client
      ids in ``details.response.body.client_id`` (also added to the catalogue
      as third-party applications);
    * ``secret_reads``: three ``mgmt_api_read`` "Get client by ID" with
      ``accessedSecrets: ["client_secret"]`` on critical applications, by one
      Dashboard admin, ~35 minutes after ``at``;
    * ``api_explorer``: a ``seccft`` for the "API Explorer Application"
      (all Management API scopes) ~50 minutes after ``at``.

    Returns a dict describing what was injected (``log_ids`` lists per part
    plus ``all_log_ids`` and ``logs``).
    """
    if dcr_count < 1:
        raise ValueError("dcr_count must be positive")
    catalog = ensure_catalog(tenant, catalog_seed(tenant, seed))
    at_ms = _to_ms(at, now_ms() - 3600 * 1000)
    calls = catalog["attack_calls"] = catalog.get("attack_calls", 0) + 1
    rng = random.Random("attacks:%s:%s:%s" % (tenant.domain, seed, calls))
    domain = tenant.domain
    attacker_ip = "203.0.113.%d" % rng.randrange(2, 250)
    admin = catalog["admins"][0]
    global_id = catalog["global_client_id"]

    def common(ts, typ, description):
        return {
            "date": format_date(ts),
            "type": typ,
            "description": description,
            "hostname": domain,
            "tenant_name": tenant.tenant_name,
            "isMobile": False,
            "$event_schema": SCHEMA,
            "environment_name": tenant.environment_name,
        }

    def by_dashboard_admin(ts, typ, description):
        """A Management API call an administrator made in the Dashboard (its Global Client, no client name)."""
        log = common(ts, typ, description)
        log.update(
            {
                "client_id": global_id,
                "client_name": "",
                "ip": admin["ip"],
                "user_agent": admin["ua"],
                "user_id": admin["user_id"],
                "user_name": admin["email"],
                "connection_id": "",
            }
        )
        return log

    logs = []
    # 1. Dynamic Client Registration enabled, then a burst of registrations.
    enable = by_dashboard_admin(at_ms - 5 * 60 * 1000, "sapi", "Update tenant settings")
    enable.update(
        {
            "details": {
                "request": {
                    "method": "patch",
                    "path": "/api/v2/tenants/settings",
                    "query": {},
                    "userAgent": admin["raw_ua"],
                    "body": {"flags": {"enable_dynamic_client_registration": True}},
                    "channel": "https://manage.auth0.com/",
                    "ip": admin["ip"],
                    "auth": {
                        "user": {"user_id": admin["user_id"], "name": admin["name"], "email": admin["email"]},
                        "strategy": "jwt",
                        "credentials": {"jti": _rid(rng, 32, HEX)},
                    },
                },
                "response": {"statusCode": 200, "body": {"flags": {"enable_dynamic_client_registration": True}}},
            },
        }
    )
    logs.append(enable)
    dcr_logs, dcr_ids = [], []
    ts = at_ms
    tool_names = ("MCP Inspector", "My Dynamic Application", "Claude Desktop MCP", "cursor-mcp-client", "agent-%d")
    for n in range(dcr_count):
        ts += rng.randrange(30000, 70000) if n else 0
        client_id = "tpc_" + _rid(rng, 32)
        port = rng.randrange(20000, 60000)
        name = rng.choice(tool_names)
        name = name % n if "%d" in name else name
        redirect = ["http://127.0.0.1:%d/callback" % port]
        log = common(ts, "sapi", "Dynamic client registration")
        log.update(
            {
                "client_id": "",
                "client_name": "",
                "ip": attacker_ip,
                "user_agent": "node 22.11.0 / Other 0.0.0",
                "user_id": "",
                "user_name": "",
                "connection_id": "",
                "details": {
                    "request": {
                        "method": "post",
                        "path": "/oidc/register",
                        "query": {},
                        "body": {
                            "client_name": name,
                            "redirect_uris": redirect,
                            "token_endpoint_auth_method": "none",
                            "grant_types": ["authorization_code", "refresh_token"],
                            "response_types": ["code"],
                        },
                        "ip": attacker_ip,
                    },
                    "response": {
                        "statusCode": 201,
                        "body": {
                            "client_id": client_id,
                            "client_name": name,
                            "redirect_uris": redirect,
                            "client_secret_expires_at": 0,
                            "grant_types": ["authorization_code", "refresh_token"],
                            "token_endpoint_auth_method": "none",
                        },
                    },
                },
            }
        )
        dcr_logs.append(log)
        dcr_ids.append(client_id)
        catalog["applications"].append(
            {
                "client_id": client_id,
                "name": name,
                "app_type": "regular_web",
                "is_first_party": False,
                "external_metadata_type": "dcr",
                "external_metadata_created_by": "client",
                "grant_types": ["authorization_code", "refresh_token"],
                "callbacks": list(redirect),
                "login_weight": 0,
                "critical": False,
            }
        )
    logs.extend(dcr_logs)

    # 2. A Dashboard admin reads the secrets of critical applications.
    critical = catalog["critical_client_ids"]
    read_targets = [critical[0], critical[1 % len(critical)], critical[0]]
    read_logs = []
    ts = at_ms + 35 * 60 * 1000
    for target in read_targets:
        ts += rng.randrange(5000, 40000)
        log = by_dashboard_admin(ts, "mgmt_api_read", "Get client by ID")
        log.update(
            {
                "details": {
                    "accessedSecrets": ["client_secret"],
                    "request": {
                        "method": "get",
                        "path": "/api/v2/clients/" + target,
                        "query": {},
                        "userAgent": admin["raw_ua"],
                        "channel": "https://manage.auth0.com/",
                        "ip": admin["ip"],
                        "auth": {
                            "user": {"user_id": admin["user_id"], "name": admin["name"], "email": admin["email"]},
                            "strategy": "jwt",
                            "credentials": {"jti": _rid(rng, 32, HEX)},
                        },
                    },
                    "response": {"statusCode": 200, "body": {"client_id": target}},
                },
            }
        )
        read_logs.append(log)
    logs.extend(read_logs)

    # 3. An API Explorer token is minted.
    explorer_id = catalog["api_explorer_client_id"]
    explorer_ip = "52.28.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
    explorer = common(at_ms + 50 * 60 * 1000, "seccft", "Client Credentials for Access Token")
    explorer.update(
        {
            "connection_id": "",
            "client_id": explorer_id,
            "client_name": "API Explorer Application",
            "ip": explorer_ip,
            "client_ip": explorer_ip,
            "user_agent": "Other 0.0.0 / Other 0.0.0",
            "user_id": "",
            "user_name": "",
            "audience": tenant.management_audience,
            "scope": MANAGEMENT_API_ALL_SCOPES,
            "details": {},
        }
    )
    logs.append(explorer)

    tenant.add_logs(logs)
    return {
        "at": format_date(at_ms),
        "dcr": {
            "client_ids": dcr_ids,
            "log_ids": [log["log_id"] for log in dcr_logs],
            "ip": attacker_ip,
            "start": dcr_logs[0]["date"],
            "end": dcr_logs[-1]["date"],
            "enable_log_id": enable["log_id"],
        },
        "secret_reads": {
            "client_ids": read_targets,
            "log_ids": [log["log_id"] for log in read_logs],
            "admin_user_id": admin["user_id"],
            "admin_email": admin["email"],
        },
        "api_explorer": {
            "client_id": explorer_id,
            "client_name": "API Explorer Application",
            "log_ids": [explorer["log_id"]],
        },
        "all_log_ids": [log["log_id"] for log in logs],
        "logs": logs,
    }


def catalog_seed(tenant, default):
    return tenant.catalog.get("seed", default)


def demo_tenant(
    domain="acme.us.auth0.com", *, logs=3000, days=2, seed=7, now=None, retention_days=30, token_lifetime=86400
):
    """A ready-made tenant: ``logs`` traffic logs over ``days`` days ending
    ``now`` (default: the current time), the :func:`add_attacks` set one day
    ago, and an M2M client "Splunk Log Collector" with secret-free read
    scopes.  Returns ``(tenant, {"domain", "client_id", "client_secret",
    "audience", "token_url"})``; everything except the dates is determined by
    ``seed``.
    """
    tenant = SimulatedTenant(domain, retention_days=retention_days, token_lifetime=token_lifetime, seed=seed)
    end_ms = _to_ms(now, now_ms())
    end_ms -= end_ms % 1000  # whole seconds: the same seed gives the same log_id layout
    start_ms = end_ms - int(days * 86400 * 1000)
    catalog = ensure_catalog(tenant, seed)
    generate_traffic(
        tenant, count=logs, start=start_ms / 1000.0, end=end_ms / 1000.0 - 60, seed=seed, return_logs=False
    )
    add_attacks(tenant, at=(start_ms + (end_ms - start_ms) // 2) / 1000.0, seed=seed)
    collector = catalog["by_name"]["Splunk Log Collector"]
    rng = random.Random("secret:%s:%s" % (domain, seed))
    secret = _rid(rng, 64, ALNUM + "-_")
    tenant.register_client(
        collector["client_id"], client_secret=secret, scopes=SECRET_FREE_READ_SCOPES, name=collector["name"]
    )
    return tenant, {
        "domain": tenant.domain,
        "client_id": collector["client_id"],
        "client_secret": secret,
        "audience": tenant.management_audience,
        "token_url": tenant.token_url,
    }


__all__ = [
    "MANAGEMENT_API_ALL_SCOPES",
    "SECRET_FREE_READ_SCOPES",
    "TRAFFIC_MIX",
    "add_attacks",
    "demo_tenant",
    "ensure_catalog",
    "generate_traffic",
    "to_datetime",
]
