"""The simulator's inventory endpoints behave as documented (tools/auth0_sim/inventory.py): field lists, secrets
only with a key scope and no excluding field list, paging and its limits, scopes per endpoint."""

import pytest
import requests
from inventory_harness import DOMAIN, READ_SCOPES, SECRET, make_tenant, simulator

BASE = f"https://{DOMAIN}/api/v2"


def session_for(sim, client_id):
    session = requests.Session()
    session.trust_env = False
    session.verify = sim.ca_bundle_path
    token = session.post(f"https://{DOMAIN}/oauth/token", data={"grant_type": "client_credentials",
                         "client_id": client_id, "client_secret": SECRET,
                         "audience": f"https://{DOMAIN}/api/v2/"}).json()["access_token"]  # fmt: skip
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture
def api():
    started = []

    def start(scopes=READ_SCOPES):
        tenant, client_id = make_tenant(scopes=scopes)
        context = simulator(tenant)
        sim = context.__enter__()
        started.append(context)
        return tenant, session_for(sim, client_id)

    yield start
    for context in started:
        context.__exit__(None, None, None)


@pytest.mark.parametrize(("scopes", "params", "has_secret"), [
    (READ_SCOPES, {}, False),
    ([*READ_SCOPES, "read:client_keys"], {}, True),
    ([*READ_SCOPES, "read:client_credentials"], {"fields": "client_id,client_secret"}, True),
    ([*READ_SCOPES, "read:client_keys"], {"fields": "client_id,name", "include_fields": "true"}, False),
    ([*READ_SCOPES, "read:client_keys"], {"fields": "client_secret", "include_fields": "false"}, False),
])  # fmt: skip
def test_client_secrets_need_a_key_scope_and_no_excluding_field_list(api, scopes, params, has_secret):
    _, session = api(scopes)
    clients = session.get(f"{BASE}/clients", params=params).json()
    assert clients
    assert all(("client_secret" in c) is has_secret for c in clients)


def test_field_lists_and_totals(api):
    tenant, session = api()
    body = session.get(
        f"{BASE}/clients",
        params={
            "fields": "client_id,name",
            "include_fields": "true",
            "per_page": 5,
            "page": 1,
            "include_totals": "true",
        },
    ).json()
    assert body["start"] == 5
    assert body["total"] == len(tenant.inventory["clients"])
    assert all(set(c) == {"client_id", "name"} for c in body["clients"])
    assert session.get(f"{BASE}/clients", params={"per_page": 101}).status_code == 400


def test_client_grants_checkpoint_paging(api):
    tenant, session = api()
    seen, params = [], {"take": 2}
    while True:
        body = session.get(f"{BASE}/client-grants", params=params).json()
        seen += [g["id"] for g in body["client_grants"]]
        if "next" not in body:
            break
        params = {"take": 2, "from": body["next"]}
    assert seen == [g["id"] for g in tenant.inventory["client_grants"]]
    bad = session.get(f"{BASE}/client-grants", params={"take": 2, "from": "!!"})
    assert bad.status_code == 400


def test_actions_bindings_roles_and_settings(api):
    tenant, session = api()
    actions = session.get(f"{BASE}/actions/actions").json()
    assert set(actions) == {"actions", "total", "page", "per_page"}
    assert actions["total"] == len(tenant.inventory["actions"])
    bindings = session.get(f"{BASE}/actions/triggers/post-login/bindings").json()
    assert bindings["bindings"][0]["action"]["name"] == "Grant support scope"
    assert session.get(f"{BASE}/actions/triggers/no-such-trigger/bindings").status_code == 400
    assert session.get(f"{BASE}/roles/rol_none/permissions").status_code == 404
    settings = session.get(f"{BASE}/tenants/settings").json()
    assert settings["flags"]["enable_dynamic_client_registration"] is True


def test_each_endpoint_needs_its_scope(api):
    _, session = api(["read:clients"])
    assert session.get(f"{BASE}/clients").status_code == 200
    for path in ("client-grants", "resource-servers", "connections", "actions/actions", "roles", "tenants/settings"):
        answer = session.get(f"{BASE}/{path}")
        assert answer.status_code == 403, path
        assert answer.json()["message"].startswith("Insufficient scope, expected any of: read:")
