"""``python -m tools.detections.replay``: every detection over a file of Log Streams envelopes (and, with
``--inventory``, the posture detections over a file of inventory events)."""

import csv
import json
import time

import pytest

from tools.auth0_sim import SimulatedTenant, scenarios
from tools.detections import cases, model, replay, spl
from tools.detections.scheduler import Scheduler
from tools.knowledge.searchtime import ROOT, read_saved_searches
from tools.spl_engine import Engine, Event


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """The simulator's demo scenario (DCR burst, secret reads, API Explorer token) in 400 logs of traffic."""
    tenant = SimulatedTenant("acme.us.auth0.com", retention_days=30, seed=7)
    end = time.time() - 60
    scenarios.ensure_catalog(tenant, 7)
    scenarios.generate_traffic(tenant, count=400, start=end - 86400, end=end, seed=7, return_logs=False)
    injected = scenarios.add_attacks(tenant, at=end - 43200, seed=7)
    path = tmp_path_factory.mktemp("replay") / "events.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for log in tenant.logs:
            handle.write(json.dumps({"log_id": log["log_id"], "data": log}) + "\n")
    return path, injected


def run(capsys, *args):
    code = replay.main(list(args))
    captured = capsys.readouterr()
    alerts = [json.loads(line) for line in captured.out.splitlines()]
    return code, alerts, captured.err


def by_name(alerts, name):
    return [alert for alert in alerts if alert["detection"] == name]


def test_demo_attacks_are_reported_without_a_watchlist(scenario, capsys):
    path, injected = scenario
    code, alerts, err = run(capsys, "--events", str(path))
    assert code == 0
    for alert in alerts:
        assert set(alert) >= {"detection", "log_ids", "severity", "group"}
    (burst,) = by_name(alerts, "Auth0 - Dynamic client registration burst - Rule")
    assert burst["log_ids"] == sorted(injected["dcr"]["log_ids"])
    (from_source,) = by_name(alerts, "Auth0 - Dynamic client registration burst from one source - Rule")
    assert from_source["group"]["src"] == injected["dcr"]["ip"]
    reads = {i for a in by_name(alerts, "Auth0 - Client secret read - Rule") for i in a["log_ids"]}
    assert set(injected["secret_reads"]["log_ids"]) <= reads
    assert not by_name(alerts, "Auth0 - Client secret of a critical application read - Rule")
    explorer = by_name(alerts, "Auth0 - API Explorer token issued - Rule")
    assert [a["log_ids"] for a in explorer] == [injected["api_explorer"]["log_ids"]]
    assert "56 detections" in err
    assert "inventory events" not in err  # without --inventory the posture detections stay silent
    assert all("log_ids" in alert and "object_ids" not in alert for alert in alerts)


def test_watchlist_scopes_the_copied_credentials(scenario, capsys, tmp_path):
    path, injected = scenario
    watchlist = tmp_path / "watchlist.csv"
    with open(watchlist, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["client_id", "category", "reason"])
        for client_id in sorted(set(injected["secret_reads"]["client_ids"])):
            writer.writerow([client_id, "critical", "payments"])
    code, alerts, _ = run(capsys, "--events", str(path), "--watchlist", str(watchlist))
    assert code == 0
    critical = {
        i for a in by_name(alerts, "Auth0 - Client secret of a critical application read - Rule") for i in a["log_ids"]
    }
    assert critical == set(injected["secret_reads"]["log_ids"])
    unscoped = {i for a in by_name(alerts, "Auth0 - Client secret read - Rule") for i in a["log_ids"]}
    assert not critical & unscoped


def test_malformed_line_is_an_error_naming_its_number(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"log_id": "1", "data": {"date": "2026-01-05T10:00:00.000Z", "type": "s"}})
    path.write_text(good + "\n\n" + "{not json\n", encoding="utf-8")
    code, alerts, err = run(capsys, "--events", str(path))
    assert code == 2
    assert not alerts
    assert ":3:" in err
    assert "not JSON" in err
    path.write_text(good + "\n" + json.dumps({"type": "s"}) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--events", str(path))
    assert code == 2
    assert ":2:" in err
    assert '"data"' in err


def test_bad_watchlist_is_an_error(tmp_path, capsys):
    events = tmp_path / "e.jsonl"
    events.write_text("", encoding="utf-8")
    watchlist = tmp_path / "w.csv"
    watchlist.write_text("client_id,category\nabc,critcal\n", encoding="utf-8")
    code, _, err = run(capsys, "--events", str(events), "--watchlist", str(watchlist))
    assert code == 2
    assert "w.csv:2" in err


def test_no_alert_exits_1(tmp_path, capsys):
    path = tmp_path / "quiet.jsonl"
    path.write_text(json.dumps({"log_id": "1", "data": {"date": "2026-01-05T10:00:00.000Z", "type": "s"}}) + "\n")
    code, alerts, _ = run(capsys, "--events", str(path))
    assert code == 1
    assert alerts == []


INVENTORY = [
    {"collected_at": "2026-01-05T10:00:00.000Z", "snapshot_id": "s1", "tenant": "acme.us.auth0.com",
     "object_type": "tenant_settings", "object_id": "acme.us.auth0.com", "risk_findings": ["dcr_enabled"],
     "dcr_enabled": True, "object": {"flags": {"enable_dynamic_client_registration": True}}},
    {"collected_at": "2026-01-05T10:00:00.000Z", "snapshot_id": "s1", "tenant": "acme.us.auth0.com",
     "object_type": "client", "object_id": "tpc_1", "risk_findings": ["dcr_client", "dcr_suspicious_redirect"]},
    {"collected_at": "2026-01-05T10:00:00.000Z", "snapshot_id": "s1", "tenant": "acme.us.auth0.com",
     "object_type": "client", "object_id": "web", "risk_findings": []},
]  # fmt: skip


def test_inventory_events_feed_the_posture_detections(tmp_path, capsys):
    inventory = tmp_path / "inventory.jsonl"
    inventory.write_text("".join(json.dumps(e) + "\n" for e in INVENTORY + INVENTORY[:1]), encoding="utf-8")
    code, alerts, err = run(capsys, "--inventory", str(inventory))
    assert code == 0
    assert "replay: 0 events, 3 inventory events (1 duplicates ignored), 56 detections, 2 alerts" in err
    (dcr,) = by_name(alerts, "Auth0 - Dynamic Client Registration enabled - Rule")
    assert dcr["object_ids"] == ["acme.us.auth0.com"]
    assert dcr["snapshot_ids"] == ["s1"]
    assert dcr["event_ids"] == ["s1:tenant_settings:acme.us.auth0.com"]
    assert "log_ids" not in dcr
    (client,) = by_name(alerts, "Auth0 - Dynamically registered application with suspicious redirect URIs - Rule")
    assert client["group"] == {"tenant": "acme.us.auth0.com", "object_id": "tpc_1"}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"log_id": "1", "data": {"date": "2026-01-05T10:00:00.000Z", "type": "s"}}) + "\n")
    code, both, err = run(capsys, "--events", str(events), "--inventory", str(inventory))
    assert code == 0
    assert sorted(a["detection"] for a in both) == sorted(a["detection"] for a in alerts)
    assert "replay: 1 events, 3 inventory events" in err


def test_malformed_inventory_line_is_an_error_naming_its_number(tmp_path, capsys):
    inventory = tmp_path / "inventory.jsonl"
    envelope = {"log_id": "1", "data": {"date": "2026-01-05T10:00:00.000Z", "type": "s"}}
    inventory.write_text(json.dumps(INVENTORY[0]) + "\n" + json.dumps(envelope) + "\n", encoding="utf-8")
    code, alerts, err = run(capsys, "--inventory", str(inventory))
    assert code == 2
    assert not alerts
    assert "inventory.jsonl:2:" in err
    assert "not an inventory event" in err
    inventory.write_text(json.dumps(dict(INVENTORY[0], collected_at="yesterday")) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--inventory", str(inventory))
    assert code == 2
    assert "collected_at" in err


def test_replay_needs_a_file(capsys):
    with pytest.raises(SystemExit) as exit_info:
        replay.main([])
    assert exit_info.value.code == 2
    assert "--events" in capsys.readouterr().err


def test_the_shipped_saved_searches_on_their_schedule_report_what_replay_does(scenario, capsys):
    """The demo's day through every log detection's saved search as shipped, run by the model of Splunk's scheduler
    (cron, continuous scheduling, dispatch and index-time ranges, throttling) with events indexed 30 s after they
    happened: the same detections alert on the same groups as the reference replay, with its events."""
    path, _ = scenario
    _, reference, _ = run(capsys, "--events", str(path))
    envelopes = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    events = [Event.from_envelope(e, indextime=cases.moment(e["data"]["date"]).timestamp() + 30) for e in envelopes]
    start = min(e.time for e in events) - 3600
    end = max(e.time for e in events) + 3 * 3600
    engine = Engine.from_package(ROOT)
    saved = read_saved_searches()
    scheduled = {}
    for detection in model.load_all():
        if detection.is_inventory:
            continue
        fields = [spl.friendly(g) for g in detection.group_by]
        for alert in Scheduler(engine, saved[detection.name]).alerts(events, start, end):
            group = tuple(str(alert.result.get(f)) for f in fields)
            ids = alert.result.get("log_ids") or []
            scheduled.setdefault((detection.name, group), set()).update(ids if isinstance(ids, list) else [ids])
    expected = {}
    for alert in reference:
        detection = next(d for d in model.load_all() if d.name == alert["detection"])
        group = tuple(str(alert["group"][spl.friendly(g)]) for g in detection.group_by)
        expected.setdefault((alert["detection"], group), set()).update(alert["log_ids"])
    assert set(scheduled) == set(expected)
    for key, ids in scheduled.items():
        # a group alerts again only after its throttle: later events of the group may be in no alert
        assert ids <= expected[key], key
        assert ids, key
