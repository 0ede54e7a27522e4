"""The posture detections (detections/posture/*.yml) executed over inventory events with pySigma's SQLite backend
(the Auth0SQLiteBackend of tools/detections), their Splunk conversion, and a run over a real snapshot."""

import copy
import datetime
import glob
import json
import os
import sqlite3

import pytest
import yaml
from inventory_harness import make_tenant, run_inventory, simulator
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.processing.pipeline import ProcessingPipeline

from tools.detections.backends import Auth0SplunkBackend, Auth0SQLiteBackend
from tools.detections.events import flatten

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
POSTURE = os.path.join(ROOT, "detections", "posture")
RULES = sorted(p for p in glob.glob(os.path.join(POSTURE, "*.yml")) if not p.endswith(".tests.yml"))
BASE_TIME = datetime.datetime(2026, 1, 5, 10, 0, 0, tzinfo=datetime.timezone.utc).timestamp()
GROUP_BY = ("tenant", "object_id")


def load_rule(path):
    with open(path, encoding="utf-8") as handle:
        documents = [d for d in yaml.safe_load_all(handle) if d]
    collection = SigmaCollection.from_dicts(copy.deepcopy(documents))
    collection.resolve_rule_references()
    return documents, collection


def table(events):
    """Events as Splunk sees them (KV_MODE=json names, props' FIELDALIAS risk_findings{} AS risk_findings)."""
    connection = sqlite3.connect(":memory:")
    rows = []
    for event_id, when, event in events:
        fields = flatten(event)
        fields["log_id"], fields["_time"] = event_id, when
        rows.append(fields)
    used = {"log_id", "_time", "object_type", "risk_findings{}", "management_api_scope_fingerprint",
            "deployed_age_seconds", "dcr_enabled"}  # fmt: skip
    columns = sorted({name for row in rows for name in row} | used)
    connection.execute("CREATE TABLE logs (%s)" % ", ".join(f"`{c}` COLLATE NOCASE" for c in columns))
    connection.executemany(
        "INSERT INTO logs VALUES (%s)" % ", ".join("?" for _ in columns),
        [[json.dumps(r[c]) if isinstance(r.get(c), list) else r.get(c) for c in columns] for r in rows],
    )
    return connection


def alerts(path, events):
    """The alerts of one rule: each the sorted ids of its events."""
    _documents, collection = load_rule(path)
    connection = table(events)
    rule = list(collection)[-1]
    backend = Auth0SQLiteBackend(ProcessingPipeline())
    if isinstance(rule, SigmaCorrelationRule):
        query = backend.convert(collection)[-1]
        cursor = connection.execute(query)
        names = [d[0] for d in cursor.description]
        windows = {}
        for row in (dict(zip(names, r)) for r in cursor):
            ids = {i.split(":", 1)[1] for i in json.loads(row["event_ids"])}
            windows.setdefault(row["group_keys"], []).append([row["window_start"], row["window_end"], ids])
        found = []
        for spans in windows.values():
            merged = []
            for span in sorted(spans, key=lambda s: s[0]):
                if merged and span[0] <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], span[1])
                    merged[-1][2] |= span[2]
                else:
                    merged.append(span)
            found += [sorted(m[2]) for m in merged]
        return sorted(found)
    (query,) = backend.convert_rule(rule)
    groups = {}
    for row in connection.execute(f"SELECT log_id, tenant, object_id FROM ({query})"):
        groups.setdefault((row[1], row[2]), []).append(row[0])
    return sorted(sorted(ids) for ids in groups.values())


def cases(path):
    with open(path[: -len(".yml")] + ".tests.yml", encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    for case in document["cases"]:
        events = []
        for spec in case["events"]:
            event = dict(document.get("defaults") or {})
            event.update(spec.get("event") or {})
            events.append((str(spec["id"]), BASE_TIME + float(spec.get("at", 0)), event))
        yield case["name"], events, sorted(sorted(str(i) for i in alert) for alert in case["expect"])


CASES = [(os.path.basename(p), name, events, expect) for p in RULES for name, events, expect in cases(p)]


def test_every_rule_has_tests_and_the_metadata_of_the_house():
    assert len(RULES) == 5
    ids = set()
    for path in RULES:
        documents, _collection = load_rule(path)
        assert os.path.exists(path[: -len(".yml")] + ".tests.yml"), path
        main = documents[-1]
        for key in ("title", "id", "description", "falsepositives", "level", "how_to_implement", "tuning"):
            assert main.get(key), (path, key)
        assert any(t.startswith("attack.t") for t in main["tags"]), path
        assert main["id"] not in ids
        ids.add(main["id"])
        for document in documents:
            if "logsource" in document:
                assert document["logsource"] == {"product": "auth0", "service": "inventory"}


@pytest.mark.parametrize(("rule", "name", "events", "expect"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_case(rule, name, events, expect):
    assert alerts(os.path.join(POSTURE, rule), events) == expect


@pytest.mark.parametrize("path", RULES, ids=os.path.basename)
def test_every_rule_converts_to_splunk(path):
    _documents, collection = load_rule(path)
    rule = list(collection)[-1]
    if isinstance(rule, SigmaCorrelationRule):
        query = Auth0SplunkBackend(ProcessingPipeline()).convert(collection)[-1]
        assert "dc(management_api_scope_fingerprint)" in query
    else:
        (query,) = Auth0SplunkBackend(ProcessingPipeline()).convert_rule(rule)
    assert "object_type=" in query
    assert "auth0:logs" not in query


def test_the_rules_over_a_real_snapshot_of_the_scenario_tenant():
    tenant, client_id = make_tenant()
    with simulator(tenant) as sim:
        run = run_inventory(sim, client_id)
    events = [(f"{e['object_type']}:{e['object_id']}", BASE_TIME, e) for e in run.events]
    by_rule = {os.path.basename(p)[: -len(".yml")]: alerts(p, events) for p in RULES}
    names = {f"{e['object_type']}:{e['object_id']}": e["object_name"] for e in run.events}
    flagged = {rule: sorted(names[i] for alert in found for i in alert) for rule, found in by_rule.items()}
    assert flagged["action_user_data_grants_scope"] == ["Assign requested role", "Grant support scope", "Plan scopes"]
    assert flagged["dcr_enabled"] == ["acme.us.auth0.com"]
    dcr_clients = [c for c in tenant.inventory["clients"] if c["client_id"].startswith("tpc_")]
    assert len(by_rule["dcr_client_suspicious_redirect"]) == len(dcr_clients)
    assert by_rule["action_deployed_or_changed"] == []  # the scenario's Actions were deployed days ago
    assert by_rule["management_api_grant_changed"] == []  # one snapshot: nothing to compare

    # a second snapshot after an attacker widens a quiet application's grant and deploys new code
    grants = tenant.inventory["client_grants"]
    payments = next(c for c in tenant.inventory["clients"] if c["name"] == "Payments Backend")
    next(g for g in grants if g["client_id"] == payments["client_id"])["scope"] += ["update:users", "read:client_keys"]
    action = tenant.inventory["actions"][3]
    action["deployed_version"]["created_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    with simulator(tenant) as sim:
        second = run_inventory(sim, client_id)
    later = [(f"{e['object_type']}:{e['object_id']}:2", BASE_TIME + 21600, e) for e in second.events]
    changed = alerts(os.path.join(POSTURE, "management_api_grant_changed.yml"), events + later)
    assert changed == [[f"client:{payments['client_id']}", f"client:{payments['client_id']}:2"]]
    fresh = alerts(os.path.join(POSTURE, "action_deployed_or_changed.yml"), later)
    assert fresh == [[f"action:{action['id']}:2"]]
