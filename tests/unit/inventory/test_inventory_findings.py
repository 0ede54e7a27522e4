"""Every finding, positive and negative, over small snapshots."""

import pytest
from inventory_fixtures import MGMT, MGMT_SCOPES, NOW, TENANT, client, grant, management_api, snapshot

from ta_auth0.findings import assess, max_severity, registrable_domain

READS = [s for s in MGMT_SCOPES if s.startswith("read:") and s not in ("read:client_keys", "read:client_credentials")]


def ids(assessment, object_type, object_id):
    return sorted({f["id"] for f in assessment.findings.get((object_type, object_id), [])})


def one(assessment, object_type, object_id, finding_id):
    (found,) = [f for f in assessment.findings.get((object_type, object_id), []) if f["id"] == finding_id]
    return found


# -- machine-to-machine applications and the API Explorer -------------------------------------------------------


def test_api_explorer_by_name():
    objects = snapshot(client=[client("ax", "API Explorer Application")], client_grant=[grant("g1", "ax", READS)])
    result = assess(objects, TENANT, NOW)
    found = one(result, "client", "ax", "api_explorer")
    assert found["identified_by"] == ["name"]
    assert found["severity"] == "critical"
    assert result.facts[("client", "ax")]["watchlist_category"] == "api_explorer"


def test_api_explorer_renamed_is_found_by_its_scopes():
    nearly_all = MGMT_SCOPES[:-2]  # 40 of 42
    objects = snapshot(client=[client("tf", "Terraform")], client_grant=[grant("g1", "tf", nearly_all)])
    result = assess(objects, TENANT, NOW)
    found = one(result, "client", "tf", "api_explorer")
    assert found["identified_by"] == ["scopes"]
    assert found["scope_count"] == 40
    assert found["scope_share"] == pytest.approx(40 / 42, abs=0.001)
    assert "privileged_m2m" in ids(result, "client", "tf")
    assert result.facts[("client", "tf")]["watchlist_category"] == "api_explorer"
    assert (
        "Terraform" in result.facts[("client", "tf")]["watchlist_reason"]
        or "API Explorer" in (result.facts[("client", "tf")]["watchlist_reason"])
    )


def test_neither_the_name_on_a_web_app_nor_half_the_scopes_is_the_api_explorer():
    objects = snapshot(
        client=[client("web", "API Explorer Application", app_type="regular_web"), client("half", "Half")],
        client_grant=[grant("g1", "web", READS), grant("g2", "half", MGMT_SCOPES[:21])],
    )
    result = assess(objects, TENANT, NOW)
    assert "api_explorer" not in ids(result, "client", "web")
    assert "api_explorer" not in ids(result, "client", "half")
    assert "privileged_m2m" in ids(result, "client", "half")


def test_privileged_m2m_counts_write_and_delete_scopes():
    scopes = ["read:users", "update:users", "delete:users"]
    objects = snapshot(client=[client("sync", "Data Sync")], client_grant=[grant("g1", "sync", scopes)])
    result = assess(objects, TENANT, NOW)
    found = one(result, "client", "sync", "privileged_m2m")
    assert found["write_scopes"] == ["delete:users", "update:users"]
    assert found["delete_scopes"] == ["delete:users"]
    assert found["scope_count"] == 3
    assert found["scope_total"] == len(MGMT_SCOPES)
    assert result.facts[("client", "sync")]["watchlist_category"] == "privileged_m2m"
    grant_finding = one(result, "client_grant", "g1", "management_api_grant")
    assert grant_finding["severity"] == "high"
    assert result.facts[("client_grant", "g1")]["management_api"] is True


def test_a_read_only_m2m_app_is_low_and_not_watchlisted():
    objects = snapshot(
        client=[client("ro", "Reporting")], client_grant=[grant("g1", "ro", ["read:users", "read:logs"])]
    )
    result = assess(objects, TENANT, NOW)
    assert ids(result, "client", "ro") == ["m2m_management_api_read"]
    assert "watchlist_category" not in result.facts[("client", "ro")]
    assert one(result, "client_grant", "g1", "management_api_grant")["severity"] == "low"


def test_secret_reading_scopes_make_a_grant_critical():
    objects = snapshot(client=[client("k", "Keys")], client_grant=[grant("g1", "k", ["read:client_keys"])])
    result = assess(objects, TENANT, NOW)
    assert one(result, "client_grant", "g1", "management_api_grant")["severity"] == "critical"
    assert "privileged_m2m" in ids(result, "client", "k")


def test_grants_to_other_apis_are_not_management_api_findings():
    objects = snapshot(
        client=[client("svc", "Service")],
        client_grant=[grant("g1", "svc", ["orders:write"], "https://api.example.com/")],
    )
    result = assess(objects, TENANT, NOW)
    assert ids(result, "client", "svc") == []
    assert ids(result, "client_grant", "g1") == []
    assert result.facts[("client_grant", "g1")]["management_api"] is False
    assert result.facts[("client", "svc")]["management_api_scope_count"] == 0


def test_without_resource_servers_the_share_uses_the_granted_scopes():
    objects = {
        "client": [client("ax", "Renamed"), client("ro", "Ro")],
        "client_grant": [grant("g1", "ax", MGMT_SCOPES), grant("g2", "ro", ["read:users"])],
    }
    result = assess(objects, TENANT, NOW)
    found = one(result, "client", "ax", "api_explorer")
    assert found["scope_basis"] == "granted_union"
    assert found["scope_share"] == 1.0


def test_default_grant_for_third_party_clients():
    objects = snapshot(
        client=[],
        client_grant=[grant("g1", None, ["read:users"], default_for="third_party_clients"), grant("g2", None, [])],
    )
    result = assess(objects, TENANT, NOW)
    assert one(result, "client_grant", "g1", "default_third_party_grant")["severity"] == "high"
    assert "default_third_party_grant" not in ids(result, "client_grant", "g2")


# -- insecure application settings ----------------------------------------------------------------------------


def test_implicit_and_password_grants():
    objects = snapshot(
        client=[
            client("spa", "Shop", app_type="spa", grant_types=["authorization_code", "implicit"]),
            client("pw", "Legacy", app_type="regular_web", grant_types=["password", "refresh_token"]),
            client(
                "realm", "Realm", app_type="native", grant_types=["http://auth0.com/oauth/grant-type/password-realm"]
            ),
            client("ok", "Good", app_type="regular_web", grant_types=["authorization_code", "refresh_token"]),
        ]
    )
    result = assess(objects, TENANT, NOW)
    assert one(result, "client", "spa", "insecure_grant_types")["severity"] == "medium"
    assert one(result, "client", "pw", "insecure_grant_types")["grant_types"] == ["password"]
    assert one(result, "client", "realm", "insecure_grant_types")["severity"] == "high"
    assert ids(result, "client", "ok") == []


@pytest.mark.parametrize(("field", "value", "found"), [
    ("cross_origin_authentication", True, True),
    ("cross_origin_auth", True, True),
    ("cross_origin_authentication", False, False),
])  # fmt: skip
def test_cross_origin_authentication(field, value, found):
    objects = snapshot(client=[client("w", "Web", app_type="regular_web", **{field: value})])
    assert ("cross_origin_authentication" in ids(assess(objects, TENANT, NOW), "client", "w")) is found


# -- Dynamic Client Registration --------------------------------------------------------------------------------


@pytest.mark.parametrize(("enabled", "mode", "severity"), [(True, "strict", "high"), (True, "permissive", "critical"),
                                                           (False, "strict", None)])  # fmt: skip
def test_dcr_tenant_flag(enabled, mode, severity):
    settings = {"flags": {"enable_dynamic_client_registration": enabled},
                "dynamic_client_registration_security_mode": mode}  # fmt: skip
    result = assess(snapshot(tenant_settings=[settings]), TENANT, NOW)
    found = result.findings.get(("tenant_settings", TENANT), [])
    assert max_severity(found) == severity
    assert result.facts[("tenant_settings", TENANT)]["dcr_enabled"] is enabled


def dcr(client_id, callbacks, **extra):
    document = client(
        client_id,
        "MCP tool",
        app_type="regular_web",
        is_first_party=False,
        external_metadata_type="dcr",
        external_metadata_created_by="client",
        callbacks=callbacks,
    )
    document.update(extra)
    return document


def test_dcr_clients_and_their_redirect_uris():
    objects = snapshot(
        client=[
            client("web", "Portal", app_type="regular_web", callbacks=["https://portal.acme-corp.example.com/cb"]),
            dcr("tpc_loop", ["http://127.0.0.1:33418/callback"]),
            dcr("tpc_http", ["http://evil.example.org/callback"]),
            dcr("tpc_dom", ["https://relay.example.net/callback"]),
            dcr("tpc_ok", ["https://app.acme-corp.example.com/oauth"]),
            dcr("tpc_app", ["com.acme.tool:/oauth"]),
            dcr("legacy", ["https://relay.example.net/cb"], external_metadata_type=None),  # created by client
        ]
    )
    result = assess(objects, TENANT, NOW)
    assert one(result, "client", "tpc_loop", "dcr_suspicious_redirect")["severity"] == "medium"
    assert one(result, "client", "tpc_http", "dcr_suspicious_redirect")["severity"] == "high"
    problem = one(result, "client", "tpc_dom", "dcr_suspicious_redirect")["redirect_problems"][0]
    assert problem == {"uri": "https://relay.example.net/callback", "problem": "unexpected domain example.net",
                       "severity": "high"}  # fmt: skip
    assert ids(result, "client", "tpc_ok") == ["dcr_client"]
    assert "custom scheme" in one(result, "client", "tpc_app", "dcr_suspicious_redirect")["detail"]
    assert "dcr_client" in ids(result, "client", "legacy")
    assert ids(result, "client", "web") == []


def test_a_first_party_app_with_an_http_callback_is_not_a_dcr_finding():
    objects = snapshot(client=[client("dev", "Dev", app_type="regular_web", callbacks=["http://localhost:3000/cb"])])
    assert ids(assess(objects, TENANT, NOW), "client", "dev") == []


def test_registrable_domain():
    assert registrable_domain("a.b.example.com") == "example.com"
    assert registrable_domain("login.acme.co.uk") == "acme.co.uk"
    assert registrable_domain("localhost") == "localhost"


# -- connections -----------------------------------------------------------------------------------------------


def db(options):
    return {"id": "con_1", "name": "Username-Password-Authentication", "strategy": "auth0", "options": options}


@pytest.mark.parametrize(("options", "expected"), [
    ({"brute_force_protection": False, "passwordPolicy": "good"}, ["brute_force_protection_off"]),
    ({"brute_force_protection": True, "passwordPolicy": "low"}, ["weak_password_policy"]),
    ({"brute_force_protection": True, "passwordPolicy": "none"}, ["weak_password_policy"]),
    ({"brute_force_protection": True, "passwordPolicy": "fair", "password_complexity_options": {"min_length": 6}},
     ["weak_password_policy"]),
    ({"brute_force_protection": True, "passwordPolicy": "good", "password_complexity_options": {"min_length": 12}}, []),
    ({"brute_force_protection": True}, ["weak_password_policy"]),
])  # fmt: skip
def test_database_connection_settings(options, expected):
    assert ids(assess(snapshot(connection=[db(options)]), TENANT, NOW), "connection", "con_1") == expected


def test_connections_without_options_or_not_databases_have_no_findings():
    objects = snapshot(
        connection=[
            {"id": "con_1", "name": "db", "strategy": "auth0"},
            {"id": "con_2", "name": "g", "strategy": "google-oauth2", "options": {}},
        ]
    )
    result = assess(objects, TENANT, NOW)
    assert result.findings == {}


# -- Actions -----------------------------------------------------------------------------------------------------

RISKY = """exports.onExecutePostLogin = async (event, api) => {
  const meta = event.user.user_metadata;
  if (meta.admin) {
    api.accessToken.addScope('admin');
  }
};"""
SAFE = """exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://x/roles', event.authorization.roles);
};"""


def action(action_id, code, deployed_at="2026-05-01T00:00:00.000Z"):
    return {"id": action_id, "name": f"Action {action_id}", "supported_triggers": [{"id": "post-login"}],
            "deployed_version": {"code": code, "number": 2, "created_at": deployed_at}}  # fmt: skip


def binding(action_id):
    return {"id": "b-" + action_id, "trigger_id": "post-login", "action": {"id": action_id}}


def test_a_bound_action_granting_scopes_from_user_metadata():
    objects = snapshot(action=[action("a1", RISKY), action("a2", SAFE)], action_binding=[binding("a1"), binding("a2")])
    result = assess(objects, TENANT, NOW)
    found = one(result, "action", "a1", "action_user_data_grants_scope")
    assert found["severity"] == "critical"
    assert found["action"] == "Action a1"
    assert found["flows"] == [{"source": "event.user.user_metadata.admin", "source_kind": "user_metadata",
                               "source_line": 3, "sink": "api.accessToken.addScope", "sink_line": 4,
                               "flow": "control", "via": []}]  # fmt: skip
    assert (
        "event.user.user_metadata.admin (line 3) decides whether api.accessToken.addScope (line 4)" in (found["detail"])
    )
    assert ids(result, "action", "a2") == []
    facts = result.facts[("action", "a1")]
    assert facts["bound_triggers"] == ["post-login"]
    assert facts["deployed_version_number"] == 2
    assert len(facts["code_sha256"]) == 64


def test_an_unbound_action_is_one_severity_lower():
    objects = snapshot(action=[action("a1", RISKY)], action_binding=[])
    found = one(assess(objects, TENANT, NOW), "action", "a1", "action_user_data_grants_scope")
    assert found["severity"] == "high"
    assert "not bound to a trigger" in found["detail"]


def test_deployed_age_comes_from_auth0s_timestamp():
    objects = snapshot(action=[action("a1", SAFE, deployed_at="2026-05-01T00:00:00.000Z")])
    facts = assess(objects, TENANT, 1_777_593_600.0 + 3600).facts[("action", "a1")]
    assert facts["deployed_age_seconds"] == 3600
    assert facts["bound"] is None  # bindings not read: unknown


def test_unparsable_code_is_a_low_finding():
    objects = snapshot(action=[action("a1", "exports.x = (;")])
    found = one(assess(objects, TENANT, NOW), "action", "a1", "action_code_unparsed")
    assert found["severity"] == "low"
    assert "line 1" in found["detail"]


def test_management_api_scope_list_of_the_resource_server_is_used():
    objects = {
        "resource_server": [management_api(["read:users", "update:users"])],
        "client": [client("c", "C")],
        "client_grant": [grant("g", "c", ["read:users", "update:users"])],
    }
    found = one(assess(objects, TENANT, NOW), "client", "c", "api_explorer")
    assert found["scope_share"] == 1.0
    assert MGMT.endswith("/api/v2/")
