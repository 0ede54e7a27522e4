"""The collector with a scripted Management API: paging, shapes, missing scopes, stops, and secrets."""

from urllib.parse import urlencode

import pytest

from ta_auth0.client import ApiResponse
from ta_auth0.errors import DeadlineReached, MissingScopeError, RequestRejectedError
from ta_auth0.inventory_collector import (
    CLIENT_FIELDS,
    DATABASE_OPTION_FIELDS,
    SECRET_FIELDS,
    InventoryCollector,
    InventoryOptions,
    sanitize,
    scrub_secrets,
)


class FakeClient:
    """Answers GETs from a function of (path, params); records every request."""

    domain = "acme.us.auth0.com"

    def __init__(self, answer):
        self.answer = answer
        self.calls = []
        self.deadline = None

    def get(self, path, params=None, url=None, parse=None):
        self.calls.append((path, dict(params or {})))
        body = self.answer(path, dict(params or {}))
        if isinstance(body, Exception):
            raise body
        return ApiResponse(body, {}, None, 200)

    def paths(self):
        return [path for path, _ in self.calls]


def offset_api(items_by_path, wrap=True):
    """Offset-paged lists; client-grants in checkpoint mode (cursor = offset)."""

    def answer(path, params):
        if path == "/api/v2/tenants/settings":
            return {"flags": {"enable_dynamic_client_registration": False}}
        if path == "/api/v2/client-grants":
            grants = items_by_path.get(path, [])
            start = int(params.get("from") or 0)
            take = int(params["take"])
            body = {"client_grants": grants[start : start + take]}
            if start + take < len(grants):
                body["next"] = str(start + take)
            return body
        items = items_by_path.get(path.split("?")[0], [])
        if path.startswith("/api/v2/connections") and params.get("strategy") == "auth0":
            items = [{"id": c["id"], "options": c.get("options")} for c in items if c.get("strategy") == "auth0"]
        page, per_page = int(params["page"]), int(params["per_page"])
        chunk = items[page * per_page : (page + 1) * per_page]
        name = {"/api/v2/actions/actions": "actions"}.get(path, path.rstrip("/").split("/")[-1].replace("-", "_"))
        if "bindings" in path:
            name = "bindings"
        if "permissions" in path:
            name = "permissions"
        if not wrap and name not in ("actions", "bindings"):
            return chunk
        return {name: chunk, "total": len(items), "start": page * per_page}

    return answer


def collector(answer, **options):
    fake = FakeClient(answer)
    return fake, InventoryCollector(fake, InventoryOptions(**options), clock=lambda: 1000.0, new_id=lambda: "snap-1")


@pytest.mark.parametrize("wrap", [True, False])
def test_offset_paging_reads_every_page(wrap):
    clients = [{"client_id": f"c{n:03d}", "name": f"app {n}"} for n in range(250)]
    fake, inventory = collector(offset_api({"/api/v2/clients": clients}, wrap=wrap))
    snapshot = inventory.run()
    assert [c["client_id"] for c in snapshot.objects["client"]] == [c["client_id"] for c in clients]
    client_calls = [params for path, params in fake.calls if path == "/api/v2/clients"]
    assert [p["page"] for p in client_calls] == [0, 1, 2]
    assert all(p["per_page"] == 100 and p["include_totals"] == "true" for p in client_calls)


def test_an_exact_multiple_stops_on_the_total_or_an_empty_page():
    roles = [{"id": f"rol_{n}", "name": f"r{n}"} for n in range(100)]
    fake, inventory = collector(offset_api({"/api/v2/roles": roles}), page_size=50)
    snapshot = inventory.run()
    assert len(snapshot.objects["role"]) == 100
    assert [p["page"] for path, p in fake.calls if path == "/api/v2/roles"] == [0, 1]
    fake, inventory = collector(offset_api({"/api/v2/roles": roles}, wrap=False), page_size=50)
    inventory.run()
    assert [p["page"] for path, p in fake.calls if path == "/api/v2/roles"] == [0, 1, 2]


def test_client_grants_follow_the_checkpoint_cursor():
    grants = [{"id": f"cgr_{n}", "client_id": "c", "audience": "a", "scope": []} for n in range(230)]
    fake, inventory = collector(offset_api({"/api/v2/client-grants": grants}))
    snapshot = inventory.run()
    assert len(snapshot.objects["client_grant"]) == 230
    calls = [params for path, params in fake.calls if path == "/api/v2/client-grants"]
    assert calls == [{"take": 100}, {"take": 100, "from": "100"}, {"take": 100, "from": "200"}]


def test_a_repeated_cursor_skips_the_type_with_a_clear_error():
    _fake, inventory = collector(lambda path, params: {"client_grants": [{"id": "x"}], "next": "same"}
                                if path == "/api/v2/client-grants" else offset_api({})(path, params))  # fmt: skip
    snapshot = inventory.run()
    assert "repeated its paging cursor" in snapshot.skipped["client_grant"]
    assert "client" in snapshot.objects


def test_clients_are_requested_with_an_explicit_non_secret_field_list():
    fake, inventory = collector(offset_api({}))
    inventory.run()
    (params,) = [p for path, p in fake.calls if path == "/api/v2/clients"]
    fields = params["fields"].split(",")
    assert params["include_fields"] == "true"
    assert fields == list(CLIENT_FIELDS)
    assert not set(fields) & SECRET_FIELDS
    assert not set(fields) & {"client_secret", "encryption_key", "signing_keys", "client_authentication_methods"}
    assert "client_secret" not in urlencode(params)


def test_only_database_connection_options_are_read():
    connections = [
        {"id": "con_db", "name": "db", "strategy": "auth0",
         "options": {"brute_force_protection": False, "configuration": {"PW": "hunter2"}, "customScripts": {"x": "y"}}},
        {"id": "con_g", "name": "google", "strategy": "google-oauth2", "options": {"client_secret": "gs"}},
    ]  # fmt: skip
    fake, inventory = collector(offset_api({"/api/v2/connections": connections}))
    snapshot = inventory.run()
    calls = [p for path, p in fake.calls if path == "/api/v2/connections"]
    assert "options" not in calls[0]["fields"].split(",")
    assert calls[1]["strategy"] == "auth0"
    assert calls[1]["fields"] == "id,options"
    by_id = {c["id"]: c for c in snapshot.objects["connection"]}
    assert by_id["con_db"]["options"] == {"brute_force_protection": False}
    assert "options" not in by_id["con_g"]
    # database options were asked for knowingly; the social connection's options came unasked (a misbehaving API)
    assert snapshot.secret_fields_dropped == ["connection.options.client_secret"]


def test_actions_bindings_per_trigger_and_role_permissions():
    actions = [
        {"id": "a1", "name": "one", "supported_triggers": [{"id": "post-login"}], "code": "x"},
        {"id": "a2", "name": "two", "supported_triggers": [{"id": "credentials-exchange"}], "code": "y"},
    ]
    data = {
        "/api/v2/actions/actions": actions,
        "/api/v2/actions/triggers/post-login/bindings": [{"id": "b1", "action": {"id": "a1"}}],
        "/api/v2/roles": [{"id": "rol_1", "name": "Admin"}],
        "/api/v2/roles/rol_1/permissions": [
            {"resource_server_identifier": "https://api/", "permission_name": "w", "description": "x"}
        ],
    }

    def answer(path, params):
        if path == "/api/v2/actions/triggers/credentials-exchange/bindings":
            return RequestRejectedError("Auth0 answered HTTP 400", 400)
        return offset_api(data)(path, params)

    _fake, inventory = collector(answer)
    snapshot = inventory.run()
    assert [b["trigger_id"] for b in snapshot.objects["action_binding"]] == ["post-login"]
    assert snapshot.objects["role"][0]["permissions"] == [
        {"resource_server_identifier": "https://api/", "permission_name": "w"}
    ]
    assert "action" not in snapshot.skipped


def test_a_missing_scope_skips_that_type_only_and_names_the_scope(caplog):
    def answer(path, params):
        if path.startswith("/api/v2/actions"):
            return MissingScopeError("missing read:actions", ("read:actions",))
        return offset_api({"/api/v2/clients": [{"client_id": "c1"}]})(path, params)

    _fake, inventory = collector(answer)
    with caplog.at_level("WARNING"):
        snapshot = inventory.run()
    assert snapshot.skipped == {"action": "missing scope read:actions", "action_binding": "missing scope read:actions"}
    assert snapshot.objects["client"] == [{"client_id": "c1"}]
    assert {"tenant_settings", "resource_server", "client", "client_grant", "connection", "role"} <= set(
        snapshot.objects
    )
    assert not snapshot.complete
    assert any("lacks the scope read:actions" in r.getMessage() for r in caplog.records)


def test_a_malformed_answer_skips_the_type_with_what_was_wrong():
    def answer(path, params):
        if path == "/api/v2/resource-servers":
            return "oops"
        return offset_api({})(path, params)

    _fake, inventory = collector(answer)
    snapshot = inventory.run()
    assert "neither a list nor an object holding a 'resource_servers' list" in snapshot.skipped["resource_server"]


def test_running_out_of_time_stops_and_reports_what_was_not_read():
    def answer(path, params):
        if path == "/api/v2/connections":
            return DeadlineReached("the run's time budget ends")
        return offset_api({})(path, params)

    fake, inventory = collector(answer)
    snapshot = inventory.run()
    assert snapshot.stopped_because == "the run's time budget ends"
    assert set(snapshot.skipped) == {"connection", "action", "action_binding", "role"}
    assert "client" in snapshot.objects
    assert not any(path.startswith("/api/v2/roles") for path in fake.paths())


def test_secrets_returned_anyway_are_dropped_and_reported():
    clients = [{"client_id": "c1", "name": "one", "client_secret": "s3cr3t", "signing_keys": [{"cert": "x"}],
                "jwt_configuration": {"secret_encoded": False, "alg": "RS256"}}]  # fmt: skip
    actions = [{"id": "a", "name": "a", "code": "", "secrets": [{"name": "K", "value": "v4lue"}]}]
    servers = [{"id": "rs", "name": "api", "identifier": "https://api/", "signing_secret": "hs256",
                "scopes": [{"value": "read:x", "description": "d"}]}]  # fmt: skip
    _fake, inventory = collector(offset_api({"/api/v2/clients": clients, "/api/v2/actions/actions": actions,
                                            "/api/v2/resource-servers": servers}))  # fmt: skip
    snapshot = inventory.run()
    text = repr(snapshot.objects)
    for secret in ("s3cr3t", "v4lue", "hs256", "'cert'"):
        assert secret not in text
    assert snapshot.objects["client"][0]["jwt_configuration"] == {"secret_encoded": False, "alg": "RS256"}
    assert snapshot.objects["resource_server"][0]["scopes"] == [{"value": "read:x"}]
    assert sorted(set(snapshot.secret_fields_dropped)) == [
        "action.secrets[].value", "client.client_secret", "client.signing_keys", "resource_server.signing_secret"
    ]  # fmt: skip
    assert any("did not ask for" in w and "client.client_secret" in w for w in snapshot.warnings)
    assert all("s3cr3t" not in w for w in snapshot.warnings)


def test_scrub_removes_secret_keys_at_any_depth():
    dropped = []
    cleaned = scrub_secrets({"a": {"client_secret": 1, "b": [{"private_key": 2, "ok": 3}]}, "x_api_key": 4,
                             "token_endpoint_auth_method": "none", "secret_encoded": True}, "t", dropped)  # fmt: skip
    assert cleaned == {"a": {"b": [{"ok": 3}]}, "token_endpoint_auth_method": "none", "secret_encoded": True}
    assert dropped == ["t.a.client_secret", "t.a.b[].private_key", "t.x_api_key"]


def test_sanitize_keeps_database_policy_options_only():
    dropped = []
    connection = {"id": "c", "strategy": "auth0", "options": dict.fromkeys(DATABASE_OPTION_FIELDS, 1)}
    connection["options"]["configuration"] = {"DB": "pw"}
    assert set(sanitize("connection", connection, dropped)["options"]) == set(DATABASE_OPTION_FIELDS)
    assert dropped == []
