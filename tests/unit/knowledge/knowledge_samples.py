"""Sample Auth0 events for the knowledge tests, as Splunk would store them.

Three sources:

* the shared reference samples (``shared/reference/data/auth0_sample_events.json`` beside the repository): real or
  adapted Auth0 logs; skipped where that folder is absent;
* one event per CIM-mapped log type, built from the fields Auth0 documents for that type
  (``data/auth0_log_shapes.json``, derived from auth0/auth0-log-schemas) with made-up values;
* Management API events built from the documented ``details.request``/``details.response`` shape, for the
  path-dependent mapping (users, user blocks, log streams, client grants, an M2M caller).

A *pulled* event is what the add-on's input writes (``ta_auth0.events.envelope``, compact JSON, sourcetype
``auth0:logs``); a *streamed* event is the Log Streams body as Auth0 posts it to HEC (spaced JSON, sourcetype
``auth0``).
"""

import copy
import json
import os
import zlib
from typing import Any, Dict, List, Optional, Tuple

from ta_auth0.events import envelope

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SHARED_CANDIDATES = (
    os.environ.get("TA_AUTH0_SHARED_DATA", ""),
    os.path.join(os.path.dirname(ROOT), "shared", "reference", "data"),
    os.path.join(ROOT, "shared", "reference", "data"),
)
TENANT = "example-tenant"
TENANT_HOST = "example-tenant.us.auth0.com"
ADMIN = {"user_id": "google-oauth2|104937612203948571203", "name": "Ada Admin", "email": "ada.admin@example.com"}


def shared_data_dir() -> Optional[str]:
    for candidate in SHARED_CANDIDATES:
        if candidate and os.path.exists(os.path.join(candidate, "auth0_sample_events.json")):
            return candidate
    return None


def pulled(log: Dict[str, Any]) -> Tuple[str, str, str, str]:
    """(raw, sourcetype, source, host) as the add-on's logs input writes the log."""
    raw = json.dumps(envelope(log), ensure_ascii=False, separators=(",", ":"))
    domain = log.get("hostname") or TENANT_HOST
    return raw, "auth0:logs", f"auth0://{domain}", domain


def streamed(log: Dict[str, Any], sourcetype: str = "auth0") -> Tuple[str, str, str, str]:
    """(raw, sourcetype, source, host) as a Log Stream delivers the same log to HEC."""
    data = {k: v for k, v in log.items() if k not in ("_id", "id")}
    data.setdefault("log_id", log.get("log_id") or log.get("_id"))
    raw = json.dumps({"log_id": data["log_id"], "data": data}, ensure_ascii=False)
    return raw, sourcetype, "http:auth0-log-stream", "hec-collector-01"


def shared_samples() -> List[Tuple[str, Dict[str, Any], str]]:
    """(name, Auth0 log object, format) for every shared sample; empty without the shared folder."""
    folder = shared_data_dir()
    if not folder:
        return []
    with open(os.path.join(folder, "auth0_sample_events.json"), encoding="utf-8") as handle:
        samples = json.load(handle)["samples"]
    found = []
    for sample in samples:
        event = sample["event"]
        if sample["format"] == "stream":
            log = event["data"]
        elif sample["format"] == "eventbridge":
            log = event["detail"]["data"]
        else:
            log = event
        found.append((f"{sample['type']}:{sample['format']}:{sample['name']}", log, sample["format"]))
    return found


def shared_log_type_codes() -> Optional[List[str]]:
    folder = shared_data_dir()
    if not folder:
        return None
    import csv

    with open(os.path.join(folder, "auth0_log_types.csv"), encoding="utf-8", newline="") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


# --- events built from the documented shape of each log type ----------------------------------------------------

with open(os.path.join(HERE, "data", "auth0_log_shapes.json"), encoding="utf-8") as _handle:
    SHAPES = json.load(_handle)["log_types"]

#: Legacy codes without a schema, built like their closest documented sibling.
SIBLINGS = {
    "du": "sdu",
    "fapi": "sapi",
    "fc": "f",
    "limit_ui": "limit_delegation",
    "gd_auth_fail_email_verification": "gd_auth_email_verification",
    "gd_recovery_rate_limit_exceed": "gd_otp_rate_limit_exceed",
    "gd_user_delete": "gd_unenroll",
    "signup_pwd_leak": "pwd_leak",
    "token_quota_consumption_warning": "api_limit_warning",
}

VALUES: Dict[str, Any] = {
    "$event_schema": {"version": "1.0.0"},
    "audience": f"https://{TENANT_HOST}/userinfo",
    "auth0_client": {"name": "auth0-spa-js", "version": "2.1.3"},
    "client_id": "aI61p8I8aFjmYRliLWgvM9ev97kCCNDB",
    "client_ip": "198.51.100.7",
    "client_name": "Storefront SPA",
    "connection": "Username-Password-Authentication",
    "connection_id": "con_1a5wCUmAs6VOU17n",
    "date": "2026-05-04T09:12:33.418Z",
    "environment_name": "prod-us-5",
    "hostname": TENANT_HOST,
    "identity_user_id": "6500aa1c2f0b3c9d4e5f6a7b",
    "ip": "198.51.100.7",
    "is_mobile": False,
    "organization_id": "org_W30xHc0yS1V2cTQm",
    "organization_name": "acme",
    "scope": ["openid", "profile"],
    "strategy": "auth0",
    "strategy_type": "database",
    "tenant_name": TENANT,
    "user_agent": "Chrome 124.0.0 / Windows 10.0.0",
    "user_id": "auth0|6500aa1c2f0b3c9d4e5f6a7b",
    "user_name": "jane.doe@example.com",
}
#: Fields Auth0 usually sends when the type has them, besides the schema's required list.
COMMON = {
    "date",
    "type",
    "description",
    "log_id",
    "ip",
    "user_id",
    "user_name",
    "client_id",
    "client_name",
    "hostname",
    "user_agent",
    "connection",
    "connection_id",
    "strategy",
    "strategy_type",
    "tenant_name",
    "audience",
    "scope",
}


def _details(code: str, row: Dict[str, str], paths: List[str]) -> Dict[str, Any]:
    details: Dict[str, Any] = {}
    if row["outcome"] == "failure" and any(p.startswith("details.error") for p in paths):
        details["error"] = {"message": f"{row['description']} (constructed reason)"}
    if code in ("sapi", "fapi", "mgmt_api_read"):
        method = "get" if code == "mgmt_api_read" else "patch"
        client = "MWNhMmRiOGY5MGIxNjE0ZTVmMjc0NDhl"
        details["request"] = {
            "method": method,
            "path": f"/api/v2/clients/{client}",
            "query": {},
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "channel": "https://manage.auth0.com/",
            "ip": VALUES["ip"],
            "auth": {
                "user": dict(ADMIN),
                "strategy": "jwt",
                "credentials": {"jti": "e01983470586edb819c8c5d9967a63d3"},
            },
        }
        if method == "patch":
            details["request"]["body"] = {"callbacks": ["https://shop.example.com/callback"]}
        status = 400 if code == "fapi" else 200
        details["response"] = {"statusCode": status, "body": {"client_id": client, "name": "Storefront SPA"}}
        if code == "fapi":
            details["response"]["body"] = {
                "statusCode": 400,
                "error": "Bad Request",
                "message": "Payload validation error",
            }
        if code == "mgmt_api_read":
            details["accessedSecrets"] = ["client_secret"]
    elif "details.request" in paths:
        details["request"] = {"method": "post", "path": "/constructed/path"}
    if "details.session_id" in paths:
        details["session_id"] = "Vx3kq8PZ1mN0b4tYcJ7wR2sLh9dQe6Fa"
    if "details.limit" in paths:
        details["limit"] = {"bucket": "per_ip_per_user", "global": False, "size": 10}
    return details


def constructed_log(code: str, row: Dict[str, str]) -> Dict[str, Any]:
    """An Auth0 log (API format) of the given type, with the fields Auth0 documents for it."""
    shape = SHAPES[SIBLINGS.get(code, code)]
    wanted = set(shape["required"]) | (COMMON & set(shape["properties"]))
    log: Dict[str, Any] = {}
    for name in sorted(wanted):
        if name in ("type", "description", "log_id", "details"):
            continue
        if name == "is_mobile":
            log["isMobile"] = False  # the wire name in real API and stream data
        elif name in VALUES:
            log[name] = copy.deepcopy(VALUES[name])
    if code in ("seccft", "feccft"):
        log.update(user_id="", user_name="", audience=f"https://{TENANT_HOST}/api/v2/", scope="read:users read:clients")
    if code in ("sapi", "fapi", "mgmt_api_read"):
        log["user_id"] = ADMIN["user_id"]
        log["client_name"] = ""
    log_id = "900202605040912334182010000000000000012233721614%08d" % (zlib.crc32(code.encode()) % 10**8)
    log.update(type=code, description=f"{row['description']} (constructed)", log_id=log_id, _id=log_id)
    if "details" in shape["properties"]:
        log["details"] = _details(code, row, shape["details"])
    return log


# --- Management API events: the path decides the CIM dataset and fields ----------------------------------------


def management_event(
    method: str,
    path: str,
    description: str,
    request_body: Optional[Dict[str, Any]] = None,
    response_body: Any = None,
    status: int = 200,
    caller: Optional[str] = None,
    code: str = "sapi",
    query: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    """A ``sapi`` log as the Management API writes it; ``caller`` = an M2M client id instead of a Dashboard admin."""
    request: Dict[str, Any] = {
        "method": method,
        "path": path,
        "query": query or {},
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
        "ip": "203.0.113.45",
    }
    if request_body is not None:
        request["body"] = request_body
    if caller:
        request.update(channel="api", auth={"user": {}, "strategy": "jwt", "credentials": {"scopes": ["read:users"]}})
        user_id = f"{caller}@clients"
    else:
        request.update(channel="https://manage.auth0.com/", auth={"user": dict(ADMIN), "strategy": "jwt"})
        user_id = ADMIN["user_id"]
    response: Dict[str, Any] = {"statusCode": status}
    if response_body is not None:
        response["body"] = response_body
    log_id = "90020260504101500000000000000000000000122337216140%06d" % (zlib.crc32((method + path).encode()) % 10**6)
    return {
        "date": "2026-05-04T10:15:00.123Z",
        "type": code,
        "description": description,
        "client_id": "oTgkh0CkBzHv8KkGVyhQ3c2zmZm1ZzWn",
        "client_name": "",
        "ip": "203.0.113.45",
        "user_agent": "Safari 17.4.0 / Mac OS X 14.4.0",
        "details": {"request": request, "response": response},
        "user_id": user_id,
        "$event_schema": {"version": "1.0.0"},
        "environment_name": "prod-us-5",
        "log_id": log_id,
        "tenant_name": TENANT,
        "_id": log_id,
        "isMobile": False,
    }


CLIENT = "Kq7dVn2WmT1s9ZpXcR4yLb8Hf6Ga3Je0"
USER = "auth0|6650f1e2a3b4c5d6e7f80912"

#: (name, log, expected field values, expected tags)
MANAGEMENT_CASES: List[Tuple[str, Dict[str, Any], Dict[str, str], List[str]]] = [
    (
        "dashboard admin enables cross-origin authentication on a client",
        management_event(
            "patch",
            f"/api/v2/clients/{CLIENT}",
            "Update a client",
            {"cross_origin_authentication": True, "allowed_origins": ["https://evil.example.net"]},
            {"client_id": CLIENT, "name": "Storefront SPA", "cross_origin_authentication": True},
        ),
        {
            "action": "modified",
            "object": "Storefront SPA",
            "object_id": CLIENT,
            "object_attrs": "cross_origin_authentication,allowed_origins",
            "object_category": "application",
            "command": f"PATCH /api/v2/clients/{CLIENT}",
            "src_user": ADMIN["email"],
            "user": ADMIN["email"],
            "status": "success",
            "result": "200",
            "dest": TENANT,
            "dvc": TENANT,
            "src": "203.0.113.45",
        },
        ["change"],
    ),
    (
        "M2M client creates a client grant for the Management API",
        management_event(
            "post",
            "/api/v2/client-grants",
            "Create client grant",
            {"client_id": CLIENT, "audience": f"https://{TENANT_HOST}/api/v2/", "scope": ["delete:users"]},
            {"id": "cgr_4pI6kwb0r2hY6Xpz", "client_id": CLIENT, "scope": ["delete:users"]},
            status=201,
            caller="rZf3kQeT0n9sVb2LhW7xYd5Uc1Ma8Pg6",
        ),
        {
            "action": "created",
            "object_id": "cgr_4pI6kwb0r2hY6Xpz",
            "object_category": "client_grant",
            "object_attrs": "client_id,audience,scope",
            "src_user": "rZf3kQeT0n9sVb2LhW7xYd5Uc1Ma8Pg6@clients",
            "user": "rZf3kQeT0n9sVb2LhW7xYd5Uc1Ma8Pg6@clients",
            "command": "POST /api/v2/client-grants",
            "result": "201",
        },
        ["change"],
    ),
    (
        "admin creates a user",
        management_event(
            "post",
            "/api/v2/users",
            "Create a User",
            {"email": "new.hire@example.com", "connection": "Username-Password-Authentication", "password": "*****"},
            {"user_id": USER, "email": "new.hire@example.com"},
            status=201,
        ),
        {
            "action": "created",
            "user": "new.hire@example.com",
            "src_user": ADMIN["email"],
            "object_category": "user",
            "object_id": USER,
            "object": "new.hire@example.com",
        },
        ["account", "change"],
    ),
    (
        "admin blocks a user",
        management_event(
            "patch",
            "/api/v2/users/auth0%7C6650f1e2a3b4c5d6e7f80912",
            "Update a user",
            {"blocked": True},
            {"user_id": USER, "email": "mallory@example.com", "blocked": True},
        ),
        {
            "action": "modified",
            "user": "mallory@example.com",
            "src_user": ADMIN["email"],
            "object_attrs": "blocked",
            "object_category": "user",
            "object_id": USER,
        },
        ["account", "change"],
    ),
    (
        "admin deletes a user",
        management_event("delete", "/api/v2/users/auth0%7C6650f1e2a3b4c5d6e7f80912", "Delete a user", status=204),
        {
            "action": "deleted",
            "user": USER,
            "src_user": ADMIN["email"],
            "object_id": USER,
            "object": USER,
            "object_attrs": "unknown",
            "object_category": "user",
        },
        ["account", "change"],
    ),
    (
        "admin assigns a role to a user (a sub-resource: modified, not created)",
        management_event(
            "post",
            "/api/v2/users/auth0%7C6650f1e2a3b4c5d6e7f80912/roles",
            "Assign roles to a user",
            {"roles": ["rol_Zx81XTZpw8mYKs9h"]},
            status=204,
        ),
        {"action": "modified", "user": USER, "object_attrs": "roles", "object_category": "user"},
        ["account", "change"],
    ),
    (
        "admin unblocks a user (deleting a user block modifies the user)",
        management_event(
            "delete", "/api/v2/user-blocks/auth0%7C6650f1e2a3b4c5d6e7f80912", "Unblock a user", status=204
        ),
        {"action": "modified", "user": USER, "object_category": "user", "src_user": ADMIN["email"]},
        ["account", "change"],
    ),
    (
        "admin unblocks a user by identifier",
        management_event(
            "delete",
            "/api/v2/user-blocks",
            "Unblock by identifier",
            status=204,
            query={"identifier": "mallory@example.com"},
        ),
        {"action": "modified", "user": "mallory@example.com", "object_id": "mallory@example.com"},
        ["account", "change"],
    ),
    (
        "admin pauses the tenant's log stream",
        management_event(
            "patch",
            "/api/v2/log-streams/lst_0000000000012345",
            "Update a log stream",
            {"status": "paused"},
            {"id": "lst_0000000000012345", "name": "Splunk", "type": "splunk", "status": "paused"},
        ),
        {
            "action": "modified",
            "object": "Splunk",
            "object_id": "lst_0000000000012345",
            "object_attrs": "status",
            "object_category": "log_stream",
        },
        ["audit", "change"],
    ),
    (
        "admin deletes a client",
        management_event("delete", f"/api/v2/clients/{CLIENT}", "Delete a client", status=204),
        {"action": "deleted", "object_id": CLIENT, "object_category": "application", "object_attrs": "unknown"},
        ["change"],
    ),
    (
        "admin updates brute-force protection (singleton settings path)",
        management_event(
            "patch",
            "/api/v2/attack-protection/brute-force-protection",
            "Update Brute-force settings",
            {"enabled": False},
            {"enabled": False, "shields": [], "mode": "count_per_identifier_and_ip"},
        ),
        {"action": "modified", "object": "brute-force-protection", "object_category": "attack_protection"},
        ["change"],
    ),
    (
        "admin replaces the MFA policies (PUT)",
        management_event("put", "/api/v2/guardian/policies", "Set the Multi-factor Authentication policies", []),
        {"action": "updated", "object_category": "mfa_policy", "object_attrs": "unknown"},
        ["change"],
    ),
    (
        "a resource this add-on does not know yet",
        management_event("post", "/api/v2/brand-new-things", "Create a brand new thing", {"x": 1}, {"id": "bnt_1"}),
        {"action": "created", "object_category": "other", "object_id": "bnt_1"},
        ["change"],
    ),
    (
        "failed Management API write (fapi)",
        management_event(
            "patch",
            f"/api/v2/clients/{CLIENT}",
            "Update a client",
            {"grant_types": ["password"]},
            {"statusCode": 400, "error": "Bad Request", "message": "Payload validation error"},
            status=400,
            code="fapi",
        ),
        {"action": "modified", "status": "failure", "result": "400", "object_category": "application"},
        ["change"],
    ),
]
