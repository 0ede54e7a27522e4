"""Risk findings over one configuration snapshot: how an attacker would see the tenant.

:func:`assess` is pure: sanitized objects by type in, findings and derived facts per object out. Each finding is
``{"id", "severity", "title", "detail", ...}``; the object's event carries the ids as ``risk_findings`` and the
findings as ``risk_details`` (see docs/inventory.md for the full table).
"""

import hashlib
import ipaddress
import re
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple
from urllib.parse import urlsplit

from .actions_analysis import (
    FINDING_OF_SINK,
    PRIVILEGED_CLAIM,
    SINK_ACCESS_CLAIM,
    SINK_ADD_SCOPE,
    SINK_ID_CLAIM,
    SINK_ROLE,
    SINK_SET_APP_METADATA,
    analyze_actions,
)

SEVERITIES = ("info", "low", "medium", "high", "critical")
API_EXPLORER_NAME = "api explorer application"
#: Share of the Management API's scopes from which a machine-to-machine application is the API Explorer's twin.
API_EXPLORER_SHARE = 0.9
#: Share from which a grant is privileged even without a write scope.
PRIVILEGED_SHARE = 0.5
SECRET_READ_SCOPES = ("read:client_keys", "read:client_credentials")
WRITE_PREFIXES = ("create:", "update:", "delete:")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
WEAK_PASSWORD_POLICIES = ("none", "low")
MIN_PASSWORD_LENGTH = 8
_SECOND_LEVEL = ("co", "com", "org", "net", "gov", "ac", "edu", "ne", "or")

Key = Tuple[str, str]


def finding(finding_id: str, severity: str, title: str, detail: str, **extra: Any) -> Dict[str, Any]:
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity}")
    result = {"id": finding_id, "severity": severity, "title": title, "detail": detail}
    result.update(extra)
    return result


def max_severity(findings: Iterable[Dict[str, Any]]) -> Optional[str]:
    ranks = [SEVERITIES.index(f["severity"]) for f in findings]
    return SEVERITIES[max(ranks)] if ranks else None


def _lower(severity: str) -> str:
    return SEVERITIES[max(1, SEVERITIES.index(severity) - 1)]


def object_key(object_type: str, document: Dict[str, Any], tenant: str) -> str:
    if object_type == "tenant_settings":
        return tenant
    field = "client_id" if object_type == "client" else "id"
    return str(document.get(field) or "")


def fingerprint(values: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(values)).encode("utf-8")).hexdigest()[:16]


def registrable_domain(host: str) -> str:
    labels = [label for label in host.lower().rstrip(".").split(".") if label]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _iso_seconds(value: Any) -> Optional[float]:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
    except ValueError:
        return None


class Assessment:
    def __init__(self) -> None:
        self.findings: Dict[Key, List[Dict[str, Any]]] = {}
        self.facts: Dict[Key, Dict[str, Any]] = {}

    def add(self, key: Key, item: Dict[str, Any]) -> None:
        self.findings.setdefault(key, []).append(item)

    def fact(self, key: Key, **values: Any) -> None:
        self.facts.setdefault(key, {}).update(values)

    def all_findings(self) -> List[Tuple[Key, Dict[str, Any]]]:
        return [(key, item) for key, items in self.findings.items() for item in items]


class _Context:
    def __init__(self, objects: Dict[str, List[Dict[str, Any]]], tenant: str, expected_domains: Sequence[str]):
        self.objects = objects
        self.tenant = tenant
        self.audiences: Set[str] = {f"https://{tenant}/api/v2/"}
        self.management_scopes: List[str] = []
        for server in objects.get("resource_server", []):
            identifier = str(server.get("identifier") or "")
            if identifier in self.audiences or (server.get("is_system") and identifier.endswith("/api/v2/")):
                self.audiences.add(identifier)
                self.management_scopes = [s["value"] for s in server.get("scopes") or [] if s.get("value")]
        self.clients = {c.get("client_id"): c for c in objects.get("client", []) if c.get("client_id")}
        self.management_grants: Dict[str, List[Dict[str, Any]]] = {}
        for grant in objects.get("client_grant", []):
            if grant.get("audience") in self.audiences and grant.get("client_id"):
                self.management_grants.setdefault(grant["client_id"], []).append(grant)
        self.scope_basis = "resource_server"
        if not self.management_scopes:  # resource servers unreadable: the union of what is granted
            self.scope_basis = "granted_union"
            granted = {s for grants in self.management_grants.values() for g in grants for s in g.get("scope") or []}
            self.management_scopes = sorted(granted)
        self.expected_domains = {registrable_domain(self.tenant)} | {d.lower() for d in expected_domains if d}
        for client in self.clients.values():
            if client.get("is_first_party") is not False and not _is_dcr(client):
                for uri in list(client.get("callbacks") or []) + list(client.get("web_origins") or []):
                    host = urlsplit(str(uri)).hostname
                    if host and not _is_loopback(host):
                        self.expected_domains.add(registrable_domain(host))

    def scope_stats(self, scopes: Sequence[str]) -> Dict[str, Any]:
        unique = sorted(set(scopes))
        universe = set(self.management_scopes) | set(unique) if self.scope_basis == "granted_union" else None
        total = len(universe) if universe is not None else len(self.management_scopes)
        writes = [s for s in unique if s.startswith(WRITE_PREFIXES)]
        return {
            "scope_count": len(unique),
            "scope_share": round(len(unique) / total, 3) if total else None,
            "scope_total": total,
            "scope_basis": self.scope_basis,
            "write_scopes": writes,
            "delete_scopes": [s for s in writes if s.startswith("delete:")],
            "secret_read_scopes": [s for s in unique if s in SECRET_READ_SCOPES],
        }


def _is_dcr(client: Dict[str, Any]) -> bool:
    return (
        client.get("external_metadata_type") == "dcr"
        or str(client.get("client_id") or "").startswith("tpc_")
        or (client.get("is_first_party") is False and client.get("external_metadata_created_by") == "client")
    )


def _is_m2m(client: Dict[str, Any]) -> bool:
    return client.get("app_type") == "non_interactive" or "client_credentials" in (client.get("grant_types") or [])


# -- applications and grants -------------------------------------------------------------------------------------


def _assess_grants(ctx: _Context, out: Assessment) -> None:
    for grant in ctx.objects.get("client_grant", []):
        key = ("client_grant", str(grant.get("id") or ""))
        scopes = [s for s in grant.get("scope") or [] if isinstance(s, str)]
        client = ctx.clients.get(grant.get("client_id"), {})
        management = grant.get("audience") in ctx.audiences
        out.fact(key, management_api=management, scope_count=len(set(scopes)), scope_fingerprint=fingerprint(scopes),
                 client_name=client.get("name"), client_app_type=client.get("app_type"))  # fmt: skip
        if grant.get("default_for") == "third_party_clients" or grant.get("allow_all_scopes"):
            out.add(key, finding(
                "default_third_party_grant", "high" if management or grant.get("allow_all_scopes") else "medium",
                "Default grant for every third-party application",
                f"Every third-party (including dynamically registered) application gets {len(set(scopes))} scope(s) "
                f"of {grant.get('audience')}"
                + (" and all future scopes" if grant.get("allow_all_scopes") else "") + ".",
            ))  # fmt: skip
        if not management:
            continue
        stats = ctx.scope_stats(scopes)
        out.fact(key, scope_share=stats["scope_share"], write_scope_count=len(stats["write_scopes"]))
        severity = "low"
        if stats["write_scopes"] or (stats["scope_share"] or 0) >= PRIVILEGED_SHARE:
            severity = "high"
        if stats["secret_read_scopes"] or (stats["scope_share"] or 0) >= API_EXPLORER_SHARE:
            severity = "critical"
        out.add(key, finding(
            "management_api_grant", severity, "Management API grant",
            f"{client.get('name') or grant.get('client_id')} holds {stats['scope_count']} of {stats['scope_total']} "
            f"Management API scopes ({len(stats['write_scopes'])} create/update/delete"
            + (f", secret reads {', '.join(stats['secret_read_scopes'])}" if stats["secret_read_scopes"] else "")
            + ").",
            client_id=grant.get("client_id"), **stats,
        ))  # fmt: skip


def _assess_client(ctx: _Context, client: Dict[str, Any], out: Assessment) -> None:
    client_id = str(client.get("client_id") or "")
    key = ("client", client_id)
    name = str(client.get("name") or "")
    grants = ctx.management_grants.get(client_id, [])
    scopes = sorted({s for g in grants for s in g.get("scope") or [] if isinstance(s, str)})
    category = None
    how: List[str] = []
    stats: Dict[str, Any] = {}
    if grants:
        stats = ctx.scope_stats(scopes)
        out.fact(key, management_api_scope_count=stats["scope_count"], management_api_scope_share=stats["scope_share"])
        share = stats["scope_share"] or 0
        named = name.strip().lower() == API_EXPLORER_NAME
        if _is_m2m(client) and (named or share >= API_EXPLORER_SHARE):
            category = "api_explorer"
            how = [w for w, hit in (("name", named), ("scopes", share >= API_EXPLORER_SHARE)) if hit]
            out.add(key, finding(
                "api_explorer", "critical", "API Explorer Application (all-powerful Management API token)",
                f"{name or client_id} is identified as the API Explorer Application by {' and '.join(how)}: it holds "
                f"{stats['scope_count']} of {stats['scope_total']} Management API scopes. Its client secret or "
                "token administers the whole tenant; rotate its secret, remove scopes it does not need or delete it.",
                identified_by=how, **stats,
            ))  # fmt: skip
        if _is_m2m(client) and (stats["write_scopes"] or stats["secret_read_scopes"] or share >= PRIVILEGED_SHARE):
            category = category or "privileged_m2m"
            out.add(key, finding(
                "privileged_m2m", "high",
                "Machine-to-machine application with powerful Management API scopes",
                f"{name or client_id} holds {stats['scope_count']} Management API scopes ({round(share * 100)} %), "
                f"{len(stats['write_scopes'])} of them create/update/delete"
                + (f" ({len(stats['delete_scopes'])} delete)" if stats["delete_scopes"] else "")
                + ". Whoever has its secret can change the tenant.",
                **stats,
            ))  # fmt: skip
        elif _is_m2m(client):
            out.add(key, finding(
                "m2m_management_api_read", "low", "Machine-to-machine application reads the Management API",
                f"{name or client_id} holds {stats['scope_count']} read scope(s), no write scope.", **stats,
            ))  # fmt: skip
    if category:
        share_text = f"{round((stats['scope_share'] or 0) * 100)} %"
        reason = (
            f"API Explorer Application ({' and '.join(how)}): {stats['scope_count']} Management API scopes, "
            f"{share_text}"
            if category == "api_explorer"
            else f"machine-to-machine application with {stats['scope_count']} Management API scopes ({share_text}), "
            f"{len(stats['write_scopes'])} create/update/delete"
        )
        out.fact(key, watchlist_category=category, watchlist_reason=reason)
    if _is_m2m(client):
        out.fact(key, management_api_scope_fingerprint=fingerprint(scopes), management_api_scope_count=len(scopes))
    grant_types = [g for g in client.get("grant_types") or [] if isinstance(g, str)]
    insecure = [g for g in grant_types if g in ("implicit", "password") or g.endswith("/password-realm")]
    if insecure:
        severity = "high" if any(g != "implicit" for g in insecure) else "medium"
        why = []
        if "implicit" in insecure:
            why.append("implicit puts tokens in the browser's URL")
        if any(g != "implicit" for g in insecure):
            why.append("the password grant hands users' passwords to the application and bypasses MFA prompts")
        out.add(key, finding(
            "insecure_grant_types", severity, "Insecure grant types enabled",
            f"{name or client_id} allows {', '.join(insecure)}: {'; '.join(why)}.",
            grant_types=insecure,
        ))  # fmt: skip
    if client.get("cross_origin_authentication") is True or client.get("cross_origin_auth") is True:
        out.add(key, finding(
            "cross_origin_authentication", "medium", "Cross-origin authentication enabled",
            f"{name or client_id} accepts credentials posted from other origins (embedded login); it widens "
            "credential-stuffing and phishing exposure.",
        ))  # fmt: skip
    if _is_dcr(client):
        _assess_dcr_client(ctx, client, out)


def _assess_dcr_client(ctx: _Context, client: Dict[str, Any], out: Assessment) -> None:
    key = ("client", str(client.get("client_id")))
    name = client.get("name") or client.get("client_id")
    out.add(key, finding(
        "dcr_client", "low", "Application created by Dynamic Client Registration",
        f"{name} registered itself through the open /oidc/register endpoint (created by "
        f"{client.get('external_metadata_created_by') or 'unknown'}, mode "
        f"{client.get('third_party_security_mode') or 'strict'}).",
        created_by=client.get("external_metadata_created_by"),
    ))  # fmt: skip
    problems = []
    for uri in client.get("callbacks") or []:
        parts = urlsplit(str(uri))
        host = (parts.hostname or "").lower()
        if parts.scheme != "https":
            if parts.scheme == "http" and _is_loopback(host):
                problems.append({"uri": uri, "problem": "non-HTTPS loopback redirect", "severity": "medium"})
            elif parts.scheme == "http":
                problems.append({"uri": uri, "problem": "non-HTTPS redirect", "severity": "high"})
            else:
                problems.append(
                    {"uri": uri, "problem": f"custom scheme {parts.scheme or '(none)'}", "severity": "medium"}
                )
        elif host and registrable_domain(host) not in ctx.expected_domains:
            problems.append(
                {"uri": uri, "problem": f"unexpected domain {registrable_domain(host)}", "severity": "high"}
            )
    if problems:
        out.add(key, finding(
            "dcr_suspicious_redirect", max_severity(problems) or "medium",
            "Dynamically registered application with suspicious redirect URIs",
            f"{name} sends authorization codes to: "
            + "; ".join(f"{p['uri']} ({p['problem']})" for p in problems[:5]) + ".",
            redirect_problems=problems,
        ))  # fmt: skip


# -- tenant and connections ----------------------------------------------------------------------------------------


def _assess_tenant(ctx: _Context, out: Assessment) -> None:
    for settings in ctx.objects.get("tenant_settings", []):
        key = ("tenant_settings", ctx.tenant)
        flags = settings.get("flags") if isinstance(settings.get("flags"), dict) else {}
        enabled = flags.get("enable_dynamic_client_registration") is True
        mode = settings.get("dynamic_client_registration_security_mode") or "strict"
        out.fact(key, dcr_enabled=enabled)
        if enabled:
            out.add(key, finding(
                "dcr_enabled", "critical" if mode == "permissive" else "high", "Dynamic Client Registration is on",
                f"Anyone can create applications in {ctx.tenant} without a token (POST /oidc/register), security "
                f"mode {mode}. Turn it off unless an MCP or partner integration needs it, and watch new clients.",
                security_mode=mode,
            ))  # fmt: skip


def _assess_connections(ctx: _Context, out: Assessment) -> None:
    for connection in ctx.objects.get("connection", []):
        options = connection.get("options")
        if connection.get("strategy") != "auth0" or not isinstance(options, dict):
            continue
        key = ("connection", str(connection.get("id") or ""))
        name = connection.get("name")
        if options.get("brute_force_protection") is False:
            out.add(key, finding(
                "brute_force_protection_off", "high", "Brute-force protection off",
                f"Database connection {name} does not block an IP after repeated failed logins for one user.",
            ))  # fmt: skip
        policy = options.get("passwordPolicy")
        complexity = options.get("password_complexity_options")
        min_length = complexity.get("min_length") if isinstance(complexity, dict) else None
        weak = []
        if policy is None or str(policy).lower() in WEAK_PASSWORD_POLICIES:
            weak.append(f"password policy {policy or 'none'}")
        if isinstance(min_length, int) and min_length < MIN_PASSWORD_LENGTH:
            weak.append(f"minimum length {min_length}")
        if weak:
            out.add(key, finding(
                "weak_password_policy", "medium", "Weak password policy",
                f"Database connection {name}: {', '.join(weak)}.", password_policy=policy, min_length=min_length,
            ))  # fmt: skip


# -- Actions -------------------------------------------------------------------------------------------------------

_SINK_TITLES = {
    SINK_ADD_SCOPE: "Action grants scopes from user-writable data",
    SINK_ACCESS_CLAIM: "Action sets token claims from user-writable data",
    SINK_ID_CLAIM: "Action sets token claims from user-writable data",
    SINK_ROLE: "Action assigns roles from user-writable data",
    SINK_SET_APP_METADATA: "Action copies user-writable data into app_metadata",
}


def _flow_severity(flow: Any) -> str:
    if flow.sink in (SINK_ADD_SCOPE, SINK_ROLE):
        return "critical"
    if flow.sink in (SINK_ACCESS_CLAIM, SINK_ID_CLAIM):
        privileged = bool(flow.claim and PRIVILEGED_CLAIM.search(flow.claim))
        if flow.sink == SINK_ACCESS_CLAIM:
            return "high" if privileged or flow.claim is None else "medium"
        return "high" if privileged else "low"  # an ID token claim named like a preference
    return "medium"


def _assess_actions(ctx: _Context, now: float, out: Assessment) -> None:
    actions = ctx.objects.get("action", [])
    bound: Dict[str, List[str]] = {}
    for binding in ctx.objects.get("action_binding", []):
        action = binding.get("action") if isinstance(binding.get("action"), dict) else {}
        if action.get("id"):
            bound.setdefault(action["id"], []).append(str(binding.get("trigger_id") or ""))
    bindings_known = "action_binding" in ctx.objects
    reports = analyze_actions(actions)
    for action in actions:
        action_id = str(action.get("id") or "")
        key = ("action", action_id)
        deployed = action.get("deployed_version") if isinstance(action.get("deployed_version"), dict) else {}
        code = deployed.get("code") if isinstance(deployed.get("code"), str) else action.get("code")
        deployed_at = _iso_seconds(deployed.get("created_at") or deployed.get("updated_at"))
        triggers = sorted(set(bound.get(action_id, [])))
        out.fact(key, code_sha256=hashlib.sha256(code.encode("utf-8")).hexdigest() if isinstance(code, str) else None,
                 deployed_version_number=deployed.get("number"), deployed_at=deployed.get("created_at"),
                 deployed_age_seconds=int(now - deployed_at) if deployed_at is not None else None,
                 bound_triggers=triggers, bound=bool(triggers) if bindings_known else None)  # fmt: skip
        report = reports.get(action_id)
        if report is None:
            continue
        if report.error:
            out.add(key, finding(
                "action_code_unparsed", "low", "Action code could not be analysed",
                f"Action {report.action_name!r}: {report.error}"
                + (f" (line {report.error_line})" if report.error_line else "") + "; it was not checked for "
                "user-writable data deciding scopes, claims or roles.",
            ))  # fmt: skip
        grouped: Dict[str, List[Any]] = {}
        for flow in report.flows:
            grouped.setdefault(FINDING_OF_SINK[flow.sink], []).append(flow)
        for finding_id, flows in grouped.items():
            severity = max_severity({"severity": _flow_severity(f)} for f in flows) or "medium"
            if bindings_known and not triggers:
                severity = _lower(severity)
            items = [
                {
                    "source": f.source.text, "source_kind": f.source.kind, "source_line": f.source.line,
                    "sink": f.sink_text, "sink_line": f.sink_line, "flow": f.flow, "via": list(f.via),
                    **({"claim": f.claim} if f.claim else {}), **({"note": f.source.note} if f.source.note else {}),
                }
                for f in flows
            ]  # fmt: skip
            first = items[0]
            how = "decides whether" if first["flow"] == "control" else "flows into"
            detail = (
                f"Action {report.action_name!r}: {first['source']} (line {first['source_line']}) {how} "
                f"{first['sink']} (line {first['sink_line']})"
                + (f" via {' -> '.join(first['via'])}" if first["via"] else "")
                + (f"; {first['note']}" if first.get("note") else "")
                + (f"; {len(items) - 1} more flow(s)" if len(items) > 1 else "")
                + ("" if triggers or not bindings_known else "; the Action is not bound to a trigger")
                + "."
            )
            out.add(key, finding(finding_id, severity, _SINK_TITLES[flows[0].sink], detail, action=report.action_name,
                                 flows=items))  # fmt: skip


def assess(
    objects: Dict[str, List[Dict[str, Any]]], tenant: str, now: float, expected_domains: Sequence[str] = ()
) -> Assessment:
    """Findings and facts for every object of a snapshot (sanitized objects by type)."""
    ctx = _Context(objects, tenant, expected_domains)
    out = Assessment()
    _assess_tenant(ctx, out)
    _assess_grants(ctx, out)
    for client in ctx.clients.values():
        _assess_client(ctx, client, out)
    _assess_connections(ctx, out)
    _assess_actions(ctx, now, out)
    return out


def normalise_domains(raw: Any) -> List[str]:
    """A comma/space separated list of domains (the input's "expected redirect domains")."""
    if not raw:
        return []
    return [d.strip().lower().lstrip(".") for d in re.split(r"[,\s]+", str(raw)) if d.strip()]
