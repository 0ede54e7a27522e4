"""The posture detections (detections/<name>/ with ``logsource: {product: auth0, service: inventory}``) over real
snapshots of the scenario tenant, read by the real inventory input from the simulator.

Their test cases (tests.yml) run with every other detection's in tests/detections; here the same engine
(tools/detections: pySigma's SQLite backend) runs them over what the input actually writes, twice: the scenario as
it is, then a second snapshot after an attacker widens a quiet application's Management API grant and redeploys
an Action. The saved searches' search expressions are also matched against the same events (the add-on's SPL
model), where that model can evaluate them.
"""

import copy
import datetime

import pytest
from inventory_harness import make_tenant, run_inventory, simulator

from tools.detections import model, spl
from tools.detections.engine import Engine
from tools.detections.events import flatten
from tools.knowledge import spl_search
from tools.knowledge.searchtime import KnowledgeModel

POSTURE = {d.slug: d for d in model.load_all() if d.is_inventory}
#: Search expressions the SPL model cannot evaluate (it has no numeric comparisons).
NOT_MODELLED = {"action_deployed_or_changed"}


@pytest.fixture(scope="module")
def snapshots():
    """The scenario's snapshot, and a second one after the attacker's changes."""
    tenant, client_id = make_tenant()
    with simulator(tenant) as sim:
        first = run_inventory(sim, client_id)
    grants = tenant.inventory["client_grants"]
    payments = next(c for c in tenant.inventory["clients"] if c["name"] == "Payments Backend")
    next(g for g in grants if g["client_id"] == payments["client_id"])["scope"] += ["update:users", "read:client_keys"]
    action = tenant.inventory["actions"][3]
    action["deployed_version"]["created_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    with simulator(tenant) as sim:
        second = run_inventory(sim, client_id)
    return tenant, first.events, second.events, payments, action


def alerts(slug, events):
    return Engine([], inventory=copy.deepcopy(events)).run(POSTURE[slug])


def flagged_names(found, events):
    names = {e["object_id"]: e["object_name"] for e in events}
    return sorted(names[i] for alert in found for i in alert["object_ids"])


def test_the_five_posture_detections_are_compiled():
    assert set(POSTURE) == {
        "action_deployed_or_changed", "action_user_data_grants_scope", "dcr_client_suspicious_redirect",
        "dcr_enabled", "management_api_grant_changed",
    }  # fmt: skip
    for detection in POSTURE.values():
        assert spl.search(detection).startswith(("`auth0_inventory` ", "| multisearch [search `auth0_inventory`"))


def test_the_rules_over_a_real_snapshot_of_the_scenario_tenant(snapshots):
    tenant, events, _second, _payments, _action = snapshots
    found = {slug: alerts(slug, events) for slug in POSTURE}
    assert flagged_names(found["action_user_data_grants_scope"], events) == [
        "Assign requested role", "Grant support scope", "Plan scopes",
    ]  # fmt: skip
    assert flagged_names(found["dcr_enabled"], events) == ["acme.us.auth0.com"]
    dcr_clients = [c for c in tenant.inventory["clients"] if c["client_id"].startswith("tpc_")]
    assert len(found["dcr_client_suspicious_redirect"]) == len(dcr_clients)
    assert found["action_deployed_or_changed"] == []  # the scenario's Actions were deployed days ago
    assert found["management_api_grant_changed"] == []  # one snapshot: nothing to compare
    snapshot_id = events[0]["snapshot_id"]
    for alert in (a for found_by_rule in found.values() for a in found_by_rule):
        assert alert["snapshot_ids"] == [snapshot_id]
        assert "log_ids" not in alert


def test_a_widened_grant_and_a_redeployed_action_in_the_next_snapshot(snapshots):
    _tenant, events, later, payments, action = snapshots
    (changed,) = alerts("management_api_grant_changed", events + later)
    assert changed["group"] == {"tenant": "acme.us.auth0.com", "object_id": payments["client_id"]}
    assert changed["snapshot_ids"] == sorted({events[0]["snapshot_id"], later[0]["snapshot_id"]})
    (fresh,) = alerts("action_deployed_or_changed", events + later)
    assert fresh["object_ids"] == [action["id"]]
    assert fresh["snapshot_ids"] == [later[0]["snapshot_id"]]


@pytest.mark.parametrize("slug", sorted(set(POSTURE) - NOT_MODELLED))
def test_the_saved_search_selects_what_the_tests_select(snapshots, slug):
    """The saved search's first line (product macro and Sigma condition) keeps the events the SQLite engine
    alerts on, and only those (event rules: one line decides)."""
    _tenant, events, _later, _payments, _action = snapshots
    detection = POSTURE[slug]
    macros = KnowledgeModel().macros
    first = spl.search(detection).split("\n")[0]
    if detection.is_correlation:
        first = first.replace("| multisearch [search ", "")
    selected = set()
    for event in events:
        fields = dict(flatten(event), index="auth0", sourcetype="auth0:inventory")
        if spl_search.matches(first, fields, macros):
            selected.add(event["object_id"])
    if detection.is_correlation:
        assert selected  # the fingerprinted machine-to-machine applications
        return
    assert selected == {i for alert in alerts(slug, events) for i in alert["object_ids"]}
