"""Reads one tenant's configuration through the Management API: one full snapshot per run, no checkpoint.

What is read, and how (``reference/auth0-api.md`` section 6):

* applications: ``GET /api/v2/clients`` with an explicit list of non-secret ``fields`` and ``include_fields=true``;
  offset paging. ``read:client_keys`` is never needed, and a secret returned anyway is dropped before anything is
  written (``sanitize``);
* client grants: ``GET /api/v2/client-grants`` in checkpoint mode (``from``/``take`` -> ``{client_grants, next}``);
* resource servers, roles (+ ``/roles/{id}/permissions``), connections: offset paging. Connections are read without
  ``options``; database connections' options are read separately and only an allowlist of policy keys is kept
  (custom-database ``configuration`` holds secrets);
* Actions (``/actions/actions``: code, runtime, deployed version) and, for every trigger they support, the trigger's
  bindings (what actually runs);
* tenant settings (``/tenants/settings``: the Dynamic Client Registration flag among others).

An object type the token has no scope for is skipped with a warning that names the scope; other types are still
collected. A run that runs out of retries or time stops and reports the types it could not read.
"""

import logging
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import quote

from .client import Auth0Client
from .errors import (
    DeadlineReached,
    InvalidResponseError,
    MissingScopeError,
    RequestRejectedError,
    RetriesExhaustedError,
)

INVENTORY_SOURCETYPE = "auth0:inventory"

#: Non-secret application fields requested from GET /api/v2/clients (never client_secret, signing_keys,
#: encryption_key or client_authentication_methods).
CLIENT_FIELDS = (
    "client_id",
    "name",
    "description",
    "app_type",
    "is_first_party",
    "global",
    "grant_types",
    "callbacks",
    "allowed_origins",
    "web_origins",
    "allowed_logout_urls",
    "initiate_login_uri",
    "token_endpoint_auth_method",
    "cross_origin_authentication",
    "cross_origin_auth",
    "oidc_conformant",
    "sso",
    "sso_disabled",
    "refresh_token",
    "jwt_configuration",
    "third_party_security_mode",
    "external_metadata_type",
    "external_metadata_created_by",
    "organization_usage",
    "organization_require_behavior",
    "require_pushed_authorization_requests",
    "is_token_endpoint_ip_header_trusted",
)
#: Fields that carry credentials. The client never requests them; ``sanitize`` removes them wherever they appear.
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "encryption_key",
        "signing_keys",
        "signing_key",
        "signing_secret",
        "client_authentication_methods",
        "private_key",
        "secret",
        "password",
    }
)
_SECRET_SUFFIXES = ("_secret", "_private_key", "_api_key")
CONNECTION_FIELDS = ("id", "name", "display_name", "strategy", "is_domain_connection", "realms", "enabled_clients")
#: Database connection options kept (password policy, brute force protection, signup); everything else is dropped.
DATABASE_OPTION_FIELDS = (
    "brute_force_protection",
    "passwordPolicy",
    "password_complexity_options",
    "password_history",
    "password_no_personal_info",
    "password_dictionary",
    "disable_signup",
    "requires_username",
    "mfa",
    "import_mode",
    "enabledDatabaseCustomization",
    "strategy_version",
)
RESOURCE_SERVER_FIELDS = (
    "id",
    "name",
    "identifier",
    "is_system",
    "scopes",
    "token_lifetime",
    "allow_offline_access",
    "enforce_policies",
    "token_dialect",
    "signing_alg",
    "skip_consent_for_verifiable_first_party_clients",
)
ACTION_FIELDS = ("id", "name", "supported_triggers", "code", "runtime", "dependencies", "secrets", "deployed_version",
                 "status", "all_changes_deployed", "created_at", "updated_at", "installed_integration_id")  # fmt: skip
DEPLOYED_VERSION_FIELDS = ("id", "number", "deployed", "status", "runtime", "code", "created_at", "updated_at")

#: (object type, the scope that reads it). Collected in this order; the snapshot summary counts each.
OBJECT_TYPES = (
    ("tenant_settings", "read:tenant_settings"),
    ("resource_server", "read:resource_servers"),
    ("client", "read:clients"),
    ("client_grant", "read:client_grants"),
    ("connection", "read:connections"),
    ("action", "read:actions"),
    ("role", "read:roles"),
)
#: Types that come with another: bindings are read with the Actions.
COMPANION_TYPES = {"action": "action_binding"}
NAME_FIELDS = {"resource_server": "name", "client": "name", "connection": "name", "action": "name", "role": "name",
               "action_binding": "display_name", "client_grant": "audience"}  # fmt: skip
MAX_PAGES = 1000


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return key in SECRET_FIELDS or lowered in SECRET_FIELDS or lowered.endswith(_SECRET_SUFFIXES)


def scrub_secrets(value: Any, path: str = "", dropped: Optional[List[str]] = None) -> Any:
    """A copy of ``value`` without credential-bearing keys at any depth; their paths go to ``dropped``."""
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _is_secret_key(key):
                if dropped is not None:
                    dropped.append(where)
                continue
            out[key] = scrub_secrets(child, where, dropped)
        return out
    if isinstance(value, list):
        return [scrub_secrets(child, path + "[]", dropped) for child in value]
    return value


def _pick(document: Dict[str, Any], fields: Sequence[str], dropped: Optional[List[str]], where: str) -> Dict[str, Any]:
    """The allowlisted keys; secret-looking keys Auth0 sent anyway are reported in ``dropped``."""
    for key in document:
        if dropped is not None and key not in fields and isinstance(key, str) and _is_secret_key(key):
            dropped.append(f"{where}.{key}")
    return {key: document[key] for key in fields if key in document}


def sanitize(object_type: str, document: Dict[str, Any], dropped: List[str]) -> Dict[str, Any]:
    """What of an Auth0 object may be written: the type's allowlist, then no secret key at any depth."""
    where = object_type
    if object_type == "client":
        document = _pick(document, CLIENT_FIELDS, dropped, where)
    elif object_type == "resource_server":
        document = _pick(document, RESOURCE_SERVER_FIELDS, dropped, where)
        document["scopes"] = [
            {"value": s.get("value")} for s in document.get("scopes") or [] if isinstance(s, dict) and s.get("value")
        ]
    elif object_type == "connection":
        options = document.get("options")
        document = _pick(document, (*CONNECTION_FIELDS, "options"), dropped, where)
        document.pop("options", None)
        if isinstance(options, dict) and document.get("strategy") == "auth0":
            # Requested knowingly (policy flags); custom-database configuration and scripts are dropped unreported.
            document["options"] = _pick(options, DATABASE_OPTION_FIELDS, None, where + ".options")
        elif isinstance(options, dict):  # never requested: social and enterprise options hold client secrets
            scrub_secrets(options, where + ".options", dropped)
    elif object_type == "action":
        deployed = document.get("deployed_version")
        secrets = document.get("secrets")
        document = _pick(document, ACTION_FIELDS, dropped, where)
        if isinstance(deployed, dict):
            version = _pick(deployed, DEPLOYED_VERSION_FIELDS, dropped, where + ".deployed_version")
            if "code" in version and version["code"] == document.get("code"):  # one copy of the code per event
                del version["code"]
                version["code_equals_draft"] = True
            document["deployed_version"] = version
        if isinstance(secrets, list):  # names only: Auth0 never returns values, and none may be written
            for secret in secrets:
                if isinstance(secret, dict) and "value" in secret:
                    dropped.append(where + ".secrets[].value")
            document["secrets"] = [
                {"name": s.get("name"), "updated_at": s.get("updated_at")} for s in secrets if isinstance(s, dict)
            ]
    return scrub_secrets(document, where, dropped)


class InventoryOptions:
    def __init__(self, time_budget: float = 600.0, client_page_size: int = 100, page_size: int = 50):
        self.time_budget = time_budget
        self.client_page_size = client_page_size
        self.page_size = page_size


class Snapshot:
    """One run's result: sanitized objects by type, what was skipped and why, and how the run went."""

    def __init__(self, snapshot_id: str, tenant: str, started_at: float):
        self.snapshot_id = snapshot_id
        self.tenant = tenant
        self.started_at = started_at
        self.finished_at = started_at
        self.objects: Dict[str, List[Dict[str, Any]]] = {}
        self.skipped: Dict[str, str] = {}
        self.warnings: List[str] = []
        self.secret_fields_dropped: List[str] = []
        self.stopped_because: Optional[str] = None

    @property
    def complete(self) -> bool:
        return not self.skipped and self.stopped_because is None

    def counts(self) -> Dict[str, int]:
        return {object_type: len(items) for object_type, items in self.objects.items()}


class InventoryCollector:
    def __init__(
        self,
        client: Auth0Client,
        options: Optional[InventoryOptions] = None,
        logger: Optional[logging.Logger] = None,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ):
        self.client = client
        self.options = options or InventoryOptions()
        self.logger = logger or logging.getLogger("ta_auth0.inventory")
        self.clock = clock
        self.new_id = new_id

    # -- paging ------------------------------------------------------------------------------------------------
    def _shape_error(self, path: str, body: Any, list_key: str) -> InvalidResponseError:
        return InvalidResponseError(
            f"Auth0 answered GET {path} on {self.client.domain} with a {type(body).__name__} that is neither a list "
            f"nor an object holding a {list_key!r} list; that object type is left out of this snapshot."
        )

    def offset_pages(
        self, path: str, list_key: str, per_page: int, params: Optional[Dict[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        """Every page of an offset-paged list (``page``/``per_page``/``include_totals``)."""
        items: List[Dict[str, Any]] = []
        for page in range(MAX_PAGES):
            query = dict(params or {})
            query.update({"page": page, "per_page": per_page, "include_totals": "true"})
            body = self.client.get(path, query).body
            total = None
            if isinstance(body, list):
                chunk = body
            elif isinstance(body, dict) and isinstance(body.get(list_key), list):
                chunk = body[list_key]
                total = body.get("total") if isinstance(body.get("total"), int) else None
            else:
                raise self._shape_error(path, body, list_key)
            items.extend(item for item in chunk if isinstance(item, dict))
            if len(chunk) < per_page or (total is not None and len(items) >= total):
                return items
        raise InvalidResponseError(f"GET {path} on {self.client.domain} did not end after {MAX_PAGES} pages.")

    def checkpoint_pages(self, path: str, list_key: str, take: int) -> List[Dict[str, Any]]:
        """Every page of a checkpoint-paged list (``from``/``take`` -> ``{<list_key>, next}``)."""
        items: List[Dict[str, Any]] = []
        cursor: Optional[str] = None
        seen = set()
        for _ in range(MAX_PAGES):
            query: Dict[str, Any] = {"take": take}
            if cursor:
                query["from"] = cursor
            body = self.client.get(path, query).body
            if not isinstance(body, dict) or not isinstance(body.get(list_key), list):
                raise self._shape_error(path, body, list_key)
            chunk = body[list_key]
            items.extend(item for item in chunk if isinstance(item, dict))
            cursor = body.get("next") if isinstance(body.get("next"), str) else None
            if not cursor or not chunk:
                return items
            if cursor in seen:
                raise InvalidResponseError(f"GET {path} on {self.client.domain} repeated its paging cursor.")
            seen.add(cursor)
        raise InvalidResponseError(f"GET {path} on {self.client.domain} did not end after {MAX_PAGES} pages.")

    # -- one reader per object type ------------------------------------------------------------------------------
    def read_tenant_settings(self) -> List[Dict[str, Any]]:
        body = self.client.get("/api/v2/tenants/settings").body
        if not isinstance(body, dict):
            raise self._shape_error("/api/v2/tenants/settings", body, "flags")
        return [body]

    def read_resource_servers(self) -> List[Dict[str, Any]]:
        return self.offset_pages("/api/v2/resource-servers", "resource_servers", self.options.page_size)

    def read_clients(self) -> List[Dict[str, Any]]:
        params = {"fields": ",".join(CLIENT_FIELDS), "include_fields": "true"}
        return self.offset_pages("/api/v2/clients", "clients", self.options.client_page_size, params)

    def read_client_grants(self) -> List[Dict[str, Any]]:
        return self.checkpoint_pages("/api/v2/client-grants", "client_grants", self.options.client_page_size)

    def read_connections(self) -> List[Dict[str, Any]]:
        params = {"fields": ",".join(CONNECTION_FIELDS), "include_fields": "true"}
        connections = self.offset_pages("/api/v2/connections", "connections", self.options.page_size, params)
        # Only database connections' options are read (policy flags); social and enterprise options hold secrets.
        options_params = {"strategy": "auth0", "fields": "id,options", "include_fields": "true"}
        with_options = self.offset_pages("/api/v2/connections", "connections", self.options.page_size, options_params)
        options_by_id = {c.get("id"): c.get("options") for c in with_options if isinstance(c.get("options"), dict)}
        for connection in connections:
            if connection.get("id") in options_by_id:
                connection["options"] = options_by_id[connection["id"]]
        return connections

    def read_actions(self) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
        actions = self.offset_pages("/api/v2/actions/actions", "actions", self.options.page_size)
        triggers = sorted(
            {
                t.get("id")
                for a in actions
                for t in (a.get("supported_triggers") or [])
                if isinstance(t, dict) and isinstance(t.get("id"), str)
            }
        )
        bindings: List[Dict[str, Any]] = []
        for trigger in triggers:
            path = f"/api/v2/actions/triggers/{quote(trigger, safe='')}/bindings"
            try:
                found = self.offset_pages(path, "bindings", self.options.page_size)
            except RequestRejectedError as error:  # a trigger Auth0 does not list bindings for
                self.logger.warning("Bindings of trigger %s could not be read: %s", trigger, error)
                continue
            for binding in found:
                binding.setdefault("trigger_id", trigger)
            bindings.extend(found)
        return actions, bindings

    def read_roles(self) -> List[Dict[str, Any]]:
        roles = self.offset_pages("/api/v2/roles", "roles", self.options.page_size)
        for role in roles:
            role_id = role.get("id")
            if not isinstance(role_id, str):
                continue
            path = f"/api/v2/roles/{quote(role_id, safe='')}/permissions"
            permissions = self.offset_pages(path, "permissions", self.options.client_page_size)
            role["permissions"] = [
                {
                    "resource_server_identifier": p.get("resource_server_identifier"),
                    "permission_name": p.get("permission_name"),
                }
                for p in permissions
            ]
        return roles

    # -- the run -----------------------------------------------------------------------------------------------
    def _read(self, object_type: str) -> Dict[str, List[Dict[str, Any]]]:
        if object_type == "action":
            actions, bindings = self.read_actions()
            return {"action": actions, "action_binding": bindings}
        reader = {
            "tenant_settings": self.read_tenant_settings,
            "resource_server": self.read_resource_servers,
            "client": self.read_clients,
            "client_grant": self.read_client_grants,
            "connection": self.read_connections,
            "role": self.read_roles,
        }[object_type]
        return {object_type: reader()}

    def run(self) -> Snapshot:
        started = self.clock()
        snapshot = Snapshot(self.new_id(), self.client.domain, started)
        self.client.deadline = started + self.options.time_budget
        for position, (object_type, scope) in enumerate(OBJECT_TYPES):
            try:
                found = self._read(object_type)
            except MissingScopeError as error:
                reason = f"missing scope {scope}"
                snapshot.skipped[object_type] = reason
                if object_type in COMPANION_TYPES:
                    snapshot.skipped[COMPANION_TYPES[object_type]] = reason
                message = (
                    f"Inventory of {self.client.domain}: {object_type} objects skipped, the application lacks the "
                    f"scope {scope} (grant it to read them; every other object type is still collected). {error}"
                )
                snapshot.warnings.append(message)
                self.logger.warning(message)
                continue
            except (InvalidResponseError, RequestRejectedError) as error:
                snapshot.skipped[object_type] = f"error: {error}"
                message = f"Inventory of {self.client.domain}: {object_type} objects skipped: {error}"
                snapshot.warnings.append(message)
                self.logger.error(message)
                continue
            except (RetriesExhaustedError, DeadlineReached) as error:
                snapshot.stopped_because = str(error)
                for remaining, _ in OBJECT_TYPES[position:]:
                    snapshot.skipped[remaining] = "not read: the run stopped early"
                    if remaining in COMPANION_TYPES:
                        snapshot.skipped[COMPANION_TYPES[remaining]] = "not read: the run stopped early"
                message = f"Inventory of {self.client.domain} stopped before {object_type}: {error}"
                snapshot.warnings.append(message)
                self.logger.error(message)
                break
            for found_type, documents in found.items():
                snapshot.objects[found_type] = [
                    sanitize(found_type, document, snapshot.secret_fields_dropped) for document in documents
                ]
        if snapshot.secret_fields_dropped:
            fields = sorted(set(snapshot.secret_fields_dropped))
            message = (
                f"Auth0 returned secret fields the add-on did not ask for on {self.client.domain}; they were dropped "
                f"and never written: {', '.join(fields)}. Check that the application does not hold read:client_keys."
            )
            snapshot.warnings.append(message)
            self.logger.warning(message)
        snapshot.finished_at = self.clock()
        return snapshot
