"""The inventory input's real code path against the tenant simulator: a full snapshot with its findings, paging,
missing scopes, faults, and secrets that are never requested nor written."""

import io
import json
import logging
from types import SimpleNamespace

import pytest
from inventory_harness import DOMAIN, READ_SCOPES, SECRET, make_tenant, run_inventory, simulator
from splunklib.modularinput import EventWriter

from ta_auth0 import inventory_input, modinput
from ta_auth0.config import account_from, client_settings_from
from ta_auth0.errors import ConfigurationError
from ta_auth0.inventory_collector import CLIENT_FIELDS
from tools.auth0_sim import FaultPlan, RateLimitPolicy
from tools.auth0_sim.inventory import SECRET_CLIENT_FIELDS
from tools.modinput_stream import parse_events


def test_a_snapshot_of_the_scenario_tenant_with_its_findings():
    tenant, client_id = make_tenant()
    with simulator(tenant) as sim:
        run = run_inventory(sim, client_id)
    inventory = tenant.inventory
    summary = run.summary
    assert summary["complete"] is True
    assert summary["counts"] == {
        "tenant_settings": 1,
        "resource_server": len(inventory["resource_servers"]),
        "client": len(inventory["clients"]),
        "client_grant": len(inventory["client_grants"]),
        "connection": len(inventory["connections"]),
        "action": len(inventory["actions"]),
        "action_binding": sum(len(b) for b in inventory["bindings"].values()),
        "role": len(inventory["roles"]),
    }
    assert len(run.events) == summary["objects_total"] + 1
    first = run.xml_events[0]
    assert (first["sourcetype"], first["source"], first["host"], first["index"]) == (
        "auth0:inventory", f"auth0://{DOMAIN}", DOMAIN, "auth0")  # fmt: skip
    assert len({e["time"] for e in run.xml_events}) == 1
    assert len({e["snapshot_id"] for e in run.events}) == 1

    # the risky Action: the finding names the Action, the source and the sink with lines
    risky = run.named("action", "Grant support scope")
    scope = next(f for f in risky["risk_details"] if f["id"] == "action_user_data_grants_scope")
    assert scope["severity"] == "critical"
    assert {(f["source"], f["source_line"], f["sink"], f["sink_line"]) for f in scope["flows"]} == {
        ("event.user.user_metadata.team", 8, "api.accessToken.addScope", 12),
        ("event.user.user_metadata.flags", 9, "api.accessToken.addScope", 12),
    }
    assert risky["bound_triggers"] == ["post-login"]
    plan = run.named("action", "Plan scopes")
    flow = plan["risk_details"][0]["flows"][0]
    assert flow["source"] == "event.user.app_metadata.plan"
    assert "Remember signup plan" in flow["note"]
    assert run.named("action", "Assign requested role")["risk_findings"] == ["action_user_data_assigns_role"]
    assert run.named("action", "Add roles to tokens")["risk_findings"] == []

    # the API Explorer Application, by name, and its renamed twin, by scopes
    explorer = run.named("client", "API Explorer Application")
    assert "api_explorer" in explorer["risk_findings"]
    assert explorer["watchlist_category"] == "api_explorer"
    twin = run.named("client", "Terraform Provisioner")
    assert next(f for f in twin["risk_details"] if f["id"] == "api_explorer")["identified_by"] == ["scopes"]
    assert run.named("client", "Data Sync Job")["watchlist_category"] == "privileged_m2m"
    assert "watchlist_category" not in run.named("client", "Splunk Log Collector")

    # Dynamic Client Registration: the flag and every registered client with its redirect URIs
    settings = run.by("tenant_settings")[0]
    assert settings["risk_findings"] == ["dcr_enabled"]
    dcr = [e for e in run.by("client") if "dcr_client" in e["risk_findings"]]
    assert {e["object_id"] for e in dcr} == {
        c["client_id"] for c in inventory["clients"] if c["client_id"].startswith("tpc_")
    }
    assert all("dcr_suspicious_redirect" in e["risk_findings"] for e in dcr)
    relay = run.named("client", "Agent Connector")
    assert "unexpected domain example.net" in relay["risk_details"][-1]["detail"]

    # insecure settings
    assert "insecure_grant_types" in run.named("client", "Partner Portal")["risk_findings"]
    assert "cross_origin_authentication" in run.named("client", "Acme Storefront")["risk_findings"]
    db = run.named("connection", "Username-Password-Authentication")
    assert db["risk_findings"] == ["brute_force_protection_off", "weak_password_policy"]


def test_every_run_is_a_new_full_snapshot():
    tenant, client_id = make_tenant()
    with simulator(tenant) as sim:
        first = run_inventory(sim, client_id)
        second = run_inventory(sim, client_id)
    assert first.summary["snapshot_id"] != second.summary["snapshot_id"]
    assert first.summary["counts"] == second.summary["counts"]


def test_all_pages_are_read():
    tenant, client_id = make_tenant()
    inventory = tenant.inventory
    template = inventory["clients"][0]
    for n in range(240):
        inventory["clients"].append(dict(template, client_id=f"bulk{n:04d}", name=f"Bulk {n}"))
        inventory["client_grants"].append(
            {
                "id": f"cgr_bulk{n}",
                "client_id": f"bulk{n:04d}",
                "audience": "https://api.acme.example.com/",
                "scope": ["orders:read"],
            }
        )
    for n in range(70):
        inventory["roles"].append({"id": f"rol_bulk{n}", "name": f"Role {n}"})
        inventory["role_permissions"][f"rol_bulk{n}"] = [
            {"resource_server_identifier": "https://api.acme.example.com/", "permission_name": f"p{k}"}
            for k in range(120)
        ]
    with simulator(tenant) as sim:
        run = run_inventory(sim, client_id)
    assert run.summary["counts"]["client"] == len(inventory["clients"])
    assert run.summary["counts"]["client_grant"] == len(inventory["client_grants"])
    assert run.summary["counts"]["role"] == len(inventory["roles"])
    assert {
        len(r["object"].get("permissions", [])) for r in run.by("role") if r["object_id"].startswith("rol_bulk")
    } == {120}
    client_pages = [r.query for r in run.records if r.path == "/api/v2/clients"]
    assert [q["page"] for q in client_pages] == [str(n) for n in range(len(client_pages))]
    assert all(q["per_page"] == "100" for q in client_pages)
    grant_pages = [r.query for r in run.records if r.path == "/api/v2/client-grants"]
    assert len(grant_pages) == 3
    assert "from" not in grant_pages[0]
    assert all("from" in q for q in grant_pages[1:])
    assert all(r.status == 200 for r in run.records if r.path.startswith("/api/v2/"))


def test_a_missing_scope_skips_those_objects_and_warns(caplog):
    scopes = ["read:clients", "read:client_grants", "read:tenant_settings"]
    tenant, client_id = make_tenant(scopes=scopes)
    with simulator(tenant) as sim, caplog.at_level(logging.WARNING):
        run = run_inventory(sim, client_id)
    summary = run.summary
    assert summary["complete"] is False
    assert summary["skipped_reasons"] == {
        "resource_server": "missing scope read:resource_servers",
        "connection": "missing scope read:connections",
        "action": "missing scope read:actions",
        "action_binding": "missing scope read:actions",
        "role": "missing scope read:roles",
    }
    assert set(summary["counts"]) == {"tenant_settings", "client", "client_grant"}
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("lacks the scope read:actions" in m for m in messages)
    # without the resource servers, the API Explorer is still found (share of the granted scopes)
    assert "api_explorer" in run.named("client", "API Explorer Application")["risk_findings"]


def _all_secrets(tenant):
    inventory = tenant.inventory
    secrets = [c["client_secret"] for c in inventory["clients"]]
    secrets += [c["options"]["client_secret"] for c in inventory["connections"] if "client_secret" in c["options"]]
    secrets += [v for c in inventory["connections"] for v in c["options"].get("configuration", {}).values()]
    secrets += [SECRET, "-----BEGIN CERTIFICATE-----", "cred_"]
    return secrets


@pytest.mark.parametrize("holds_key_scope", [False, True])
def test_no_secret_field_is_ever_requested_or_written(holds_key_scope, solnlib_logs):
    scopes = READ_SCOPES + (["read:client_keys"] if holds_key_scope else [])
    tenant, client_id = make_tenant(scopes=scopes)
    logger = logging.getLogger("ta_auth0.test.inventory.secrets")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with simulator(tenant) as sim:
            run = run_inventory(sim, client_id, logger=logger)
    finally:
        logger.removeHandler(handler)
    # requested: the token for exactly the granted scopes (no scope parameter), clients with a non-secret field list
    (token,) = [r for r in run.records if r.path == "/oauth/token"]
    assert token.token_request["scope"] is None
    client_requests = [r for r in run.records if r.path == "/api/v2/clients"]
    assert client_requests
    for record in client_requests:
        fields = record.query["fields"].split(",")
        assert record.query["include_fields"] == "true"
        assert fields == list(CLIENT_FIELDS)
        assert not set(fields) & set(SECRET_CLIENT_FIELDS)
    connection_requests = [r.query for r in run.records if r.path == "/api/v2/connections"]
    assert connection_requests[0]["fields"].split(",") == [
        "id",
        "name",
        "display_name",
        "strategy",
        "is_domain_connection",
        "realms",
        "enabled_clients",
    ]
    assert connection_requests[1] == {"strategy": "auth0", "fields": "id,options", "include_fields": "true",
                                      "page": "0", "per_page": "50", "include_totals": "true"}  # fmt: skip
    # written: nothing secret in the events or the log
    text = run.output + stream.getvalue()
    for secret in _all_secrets(tenant):
        assert secret not in text
    assert run.summary["secret_fields_dropped"] == []
    assert '"client_secret"' not in run.output


def test_secrets_a_misbehaving_api_returns_are_stripped_and_reported(caplog):
    tenant, client_id = make_tenant()
    tenant.inventory["misbehave_return_secrets"] = True
    with simulator(tenant) as sim, caplog.at_level(logging.WARNING):
        run = run_inventory(sim, client_id)
    for secret in [*_all_secrets(tenant), "leaked-client_secret"]:
        assert secret not in run.output
    assert run.summary["secret_fields_dropped"] == ["action.secrets[].value", "client.client_secret"]
    warning = next(r.getMessage() for r in caplog.records if "did not ask for" in r.getMessage())
    assert "client.client_secret" in warning
    assert all(c["client_secret"] not in warning for c in tenant.inventory["clients"])
    # the Actions still show their secret names
    assert run.named("action", "Assign requested role")["object"]["secrets"][0]["name"] == "CLIENT_SECRET"


@pytest.mark.parametrize(("kind", "rule"), [
    ("http_503", {"on_request": [3, 6]}),
    ("http_429", {"on_request": [4], "reset_in": 1}),
    ("malformed_json", {"on_request": [5]}),
    ("drop", {"on_request": [7]}),
])  # fmt: skip
def test_faults_are_survived_with_a_complete_snapshot(kind, rule):
    tenant, client_id = make_tenant()
    faults = FaultPlan(seed=3)
    fault = faults.add(kind, path="/api/v2/*", **rule)
    with simulator(tenant, faults=faults) as sim:
        run = run_inventory(sim, client_id, max_backoff=0.2, read_timeout=5.0)
    assert fault.fired >= 1
    assert run.summary["complete"] is True
    assert run.summary["counts"]["client"] == len(tenant.inventory["clients"])


def test_alone_the_input_never_gets_a_429():
    tenant, client_id = make_tenant()
    with simulator(tenant, rate_limit=RateLimitPolicy.per_second(4, burst=4)) as sim:
        run_inventory(sim, client_id)
        assert sim.stats.count_429 == 0


def test_stream_events_runs_each_input_and_reports_a_broken_one(monkeypatch):
    tenant, client_id = make_tenant()
    with simulator(tenant) as sim:

        def load_account(session_key, name):
            if name == "missing":
                raise ConfigurationError("Account 'missing' does not exist (Configuration > Tenants)")
            return account_from(name, {"domain": DOMAIN, "client_id": client_id, "client_secret": SECRET})

        monkeypatch.setattr(inventory_input, "load_account", load_account)
        monkeypatch.setattr(inventory_input, "load_settings",
                            lambda key: client_settings_from({"ca_bundle_path": sim.ca_bundle_path}))  # fmt: skip
        monkeypatch.setattr(modinput, "input_logger", lambda kind, name, key: logging.getLogger("t"))
        out = io.StringIO()
        inputs = SimpleNamespace(
            metadata={"session_key": "sk-1"},
            inputs={
                "auth0_inventory://broken": {"account": "missing", "index": "auth0", "interval": "21600"},
                "auth0_inventory://acme": {"account": "acme", "index": "auth0", "interval": "21600"},
            },
        )
        inventory_input.stream_events(inputs, EventWriter(output=out))
    events, truncated = parse_events(out.getvalue())
    assert not truncated
    assert json.loads(events[-1]["data"])["object_type"] == "snapshot"


def test_validate_input_names_the_bad_field():
    with pytest.raises(ConfigurationError, match="at least 300 seconds"):
        inventory_input.validate_input(SimpleNamespace(parameters={"interval": "60"}))
    with pytest.raises(ConfigurationError, match="whole number"):
        inventory_input.validate_input(SimpleNamespace(parameters={"interval": "often"}))
    inventory_input.validate_input(SimpleNamespace(parameters={"interval": "21600"}))


def test_the_helper_module_delegates(monkeypatch):
    import auth0_inventory_helper

    calls = []
    monkeypatch.setattr(inventory_input, "stream_events", lambda i, w: calls.append(("stream", i, w)))
    monkeypatch.setattr(inventory_input, "validate_input", lambda d: calls.append(("validate", d)))
    auth0_inventory_helper.stream_events("i", "w")
    auth0_inventory_helper.validate_input("d")
    assert calls == [("stream", "i", "w"), ("validate", "d")]
