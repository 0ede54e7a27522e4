"""The logs input's real code path (client, collector, event writer) against the tenant simulator."""

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sim_harness import CLIENT_ID, CLIENT_SECRET, DOMAIN, JWT_CLIENT_ID, make_tenant

from ta_auth0.errors import RetriesExhaustedError
from tools.auth0_sim import FaultPlan, RateLimitPolicy


def test_every_log_arrives_once_in_order_as_a_log_stream_envelope(harness_for):
    tenant = make_tenant(count=2500)
    harness = harness_for(tenant)
    summary = harness.run()
    events = harness.events()
    expected = [log["log_id"] for log in tenant.visible_logs()]
    assert [json.loads(e["data"])["log_id"] for e in events] == expected
    assert summary.events_written == len(expected)
    assert summary.stopped_because == "caught up"
    first = json.loads(events[0]["data"])
    source_log = tenant.visible_logs()[0]
    assert list(first) == ["log_id", "data"]
    assert first["data"] == {k: v for k, v in source_log.items() if k != "_id"}
    assert events[0]["sourcetype"] == "auth0:logs"
    assert events[0]["source"] == f"auth0://{DOMAIN}"
    assert events[0]["host"] == DOMAIN
    assert events[0]["index"] == "auth0"
    assert float(events[0]["time"]) == pytest.approx(
        datetime.fromisoformat(source_log["date"].replace("Z", "+00:00")).timestamp(), abs=0.001
    )
    assert harness.store.state["log_id"] == expected[-1]


def test_next_run_collects_only_new_logs(harness_for):
    tenant = make_tenant(count=300)
    harness = harness_for(tenant)
    harness.run()
    before = len(harness.events())
    new = tenant.add_logs([{"type": "s", "description": "", "date": datetime.now(timezone.utc)} for _ in range(150)])
    second = harness.run()
    assert second.events_written == 150
    ids = harness.log_ids()
    assert ids[before:] == [log["log_id"] for log in new]
    assert len(ids) == len(set(ids))


def test_first_run_now_starts_after_the_newest_log(harness_for):
    tenant = make_tenant(count=500)
    harness = harness_for(tenant, params={"start_from": "now"})
    assert harness.run().events_written == 0
    new = tenant.add_logs([{"type": "f", "date": datetime.now(timezone.utc)} for _ in range(7)])
    harness.run()
    assert harness.log_ids() == [log["log_id"] for log in new]


def test_first_run_on_an_empty_tenant_waits_for_the_first_log(harness_for):
    tenant = make_tenant(count=0)
    harness = harness_for(tenant, params={"start_from": "now"})
    summary = harness.run()
    assert summary.stopped_because == "no logs yet"
    new = tenant.add_logs([{"type": "s", "date": datetime.now(timezone.utc) + timedelta(seconds=1)} for _ in range(3)])
    harness.run()
    assert harness.log_ids() == [log["log_id"] for log in new]


def test_first_run_days_back_collects_that_window_only(harness_for):
    tenant = make_tenant(count=3000, days=5)
    harness = harness_for(tenant, params={"start_from": "days_back", "days_back": "2"})
    harness.run()
    since = datetime.now(timezone.utc) - timedelta(days=2)
    got = set(harness.log_ids())
    by_date = {log["log_id"]: datetime.fromisoformat(log["date"].replace("Z", "+00:00")) for log in tenant.logs}
    inside = {i for i, d in by_date.items() if d >= since + timedelta(seconds=10)}
    well_before = {i for i, d in by_date.items() if d < since - timedelta(seconds=10)}
    assert inside <= got
    assert not (got & well_before)
    assert len(harness.log_ids()) == len(got)


def test_earliest_respects_retention(harness_for):
    tenant = make_tenant(count=2000, days=4, retention_days=1)
    harness = harness_for(tenant)
    harness.run()
    assert harness.log_ids() == [log["log_id"] for log in tenant.visible_logs()]
    assert len(harness.log_ids()) < len(tenant.logs)


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("http_500", {"every": 3}),
        ("http_502", {"on_request": [2, 3, 4]}),
        ("http_503", {"probability": 0.3}),
        ("drop", {"every": 4}),
        ("malformed_json", {"on_request": [3, 7]}),
        ("revoke_tokens", {"on_request": [5]}),
        ("http_429", {"on_request": [2, 6], "reset_in": 1}),
        ("slow", {"on_request": [3], "delay": 6.5}),
    ],
)
def test_every_fault_is_survived_with_nothing_lost(harness_for, kind, rule):
    tenant = make_tenant(count=1200)
    faults = FaultPlan(seed=7)
    fault = faults.add(kind, **rule)
    harness = harness_for(tenant, faults=faults)
    summary = harness.run(max_backoff=0.2, read_timeout=5.0)
    assert summary.stopped_because == "caught up"
    assert harness.log_ids() == [log["log_id"] for log in tenant.visible_logs()]
    assert fault.fired >= 1


def test_retry_budget_gives_up_cleanly_and_next_run_resumes(harness_for):
    tenant = make_tenant(count=800)
    faults = FaultPlan(seed=1)
    harness = harness_for(tenant, faults=faults)
    # Let a few pages through, then fail every request.
    rule = faults.add("http_503", on_request=list(range(5, 400)))
    with pytest.raises(RetriesExhaustedError, match="will resume from the checkpoint"):
        harness.run(max_backoff=0.05, retry_budget=1.0)
    delivered = harness.log_ids()
    assert delivered
    assert harness.store.state["log_id"] == delivered[-1]
    faults.clear()
    harness.run()
    assert harness.log_ids() == [log["log_id"] for log in tenant.visible_logs()]
    assert rule.fired > 0


def test_time_budget_stops_and_resumes(harness_for):
    tenant = make_tenant(count=1500)
    harness = harness_for(tenant, rate_limit=RateLimitPolicy.per_second(1, burst=2), params={"time_budget": "10"})
    first = harness.run()
    assert first.stopped_because == "time budget"
    assert 0 < first.events_written < 1500
    while harness.run().stopped_because == "time budget":
        pass
    assert harness.log_ids() == [log["log_id"] for log in tenant.visible_logs()]


@pytest.mark.parametrize("share", ["100", "50"])
def test_alone_the_input_never_gets_a_429(harness_for, share):
    tenant = make_tenant(count=2500)
    harness = harness_for(
        tenant, rate_limit=RateLimitPolicy.per_second(10, burst=10), settings={"rate_limit_share": share}
    )
    harness.run()
    assert harness.sim.stats.count_429 == 0
    assert len(harness.log_ids()) == 2500


def test_token_is_reused_and_refreshed_before_expiry(harness_for):
    tenant = make_tenant(count=2000, token_lifetime=3)
    harness = harness_for(tenant, rate_limit=RateLimitPolicy.per_second(4, burst=4))
    harness.run()
    stats = harness.sim.stats
    assert stats.count_401 == 0
    assert 2 <= stats.token_requests <= 6  # one per ~3 s of a ~5 s run, not one per request
    assert len(harness.log_ids()) == 2000


def test_private_key_jwt_account_collects(harness_for, rsa_private_pem):
    private, public = rsa_private_pem
    tenant = make_tenant(count=400, public_key=public)
    harness = harness_for(
        tenant,
        account_fields={"domain": DOMAIN, "client_id": JWT_CLIENT_ID, "auth_method": "private_key_jwt",
                        "private_key": private},
    )  # fmt: skip
    harness.run()
    assert len(harness.log_ids()) == 400
    token_records = harness.sim.stats.records_for(path="/oauth/token", status=200)
    assert token_records


def test_category_filter_keeps_only_chosen_categories_and_still_advances(harness_for):
    tenant = make_tenant(count=1500)
    harness = harness_for(tenant, params={"log_categories": "auth.login.fail|management.success"})
    summary = harness.run()
    from ta_auth0.log_types import load_stream_categories

    categories = load_stream_categories()
    wanted = [
        log["log_id"]
        for log in tenant.visible_logs()
        if categories.get(log["type"], "other") in ("auth.login.fail", "management.success")
    ]
    assert wanted
    assert harness.log_ids() == wanted
    assert summary.logs_filtered == 1500 - len(wanted)
    assert harness.store.state["log_id"] == tenant.visible_logs()[-1]["log_id"]


def test_checkpoint_older_than_retention_warns_with_the_size_of_the_hole(harness_for, caplog):
    tenant = make_tenant(count=600, days=3, retention_days=1)
    harness = harness_for(tenant)
    old = datetime.now(timezone.utc) - timedelta(days=2)
    harness.store.state = {"log_id": "900" + old.strftime("%Y%m%d%H%M%S") + "0" * 39, "log_date": None}
    with caplog.at_level(logging.WARNING, logger="ta_auth0.test.input"):
        summary = harness.run()
    assert summary.gap_warning
    assert "Possible gap" in caplog.text
    assert "hours of logs may have been purged" in caplog.text
    assert harness.log_ids() == [log["log_id"] for log in tenant.visible_logs()]


def test_duplicate_and_malformed_logs_in_a_page(harness_for, caplog):
    tenant = make_tenant(count=0)
    base = datetime.now(timezone.utc) - timedelta(minutes=5)
    good = tenant.add_logs([{"type": "s", "date": base + timedelta(seconds=i)} for i in range(5)])
    harness = harness_for(tenant)
    from ta_auth0.checkpoint import MemoryCheckpointStore
    from ta_auth0.events import EventSink
    from ta_auth0.logs_collector import CollectorOptions, LogsCollector, RunSummary

    harness.run()
    assert harness.log_ids() == [log["log_id"] for log in good]
    # A page with a repeated log, an id at or below the checkpoint and an entry without log_id.
    collector = LogsCollector(harness.client, MemoryCheckpointStore(), EventSink(
        __import__("splunklib.modularinput", fromlist=["EventWriter"]).EventWriter(output=harness.output),
        None, DOMAIN, "s", "auth0:logs"), CollectorOptions(), harness.logger)  # fmt: skip
    summary = RunSummary()
    page = [good[4], {"log_id": good[4]["log_id"] + "9", "type": "s"}, {"log_id": good[4]["log_id"] + "9"},
            {"type": "s", "description": "no id"}, "garbage"]  # fmt: skip
    page = [(log, json.dumps(log, separators=(",", ":"))) for log in page]
    with caplog.at_level(logging.ERROR):
        newest, _ = collector._deliver(page, good[4]["log_id"], summary)
    assert newest == good[4]["log_id"] + "9"
    assert summary.duplicates_dropped == 2
    assert summary.events_written == 3
    assert caplog.text.count("has no log_id") == 2


def test_secret_client_id_and_secret_never_reach_a_request_record(harness_for):
    harness = harness_for(make_tenant(count=100))
    harness.run()
    blob = repr(harness.sim.stats.records)
    assert CLIENT_SECRET not in blob
    assert CLIENT_ID in blob


def test_a_next_link_to_another_host_is_not_followed(harness_for, monkeypatch):
    tenant = make_tenant(count=450)
    harness = harness_for(tenant)
    from ta_auth0 import logs_collector

    original = logs_collector.LogsCollector.fetch_page
    followed = []

    def fetch_page(self, from_id, next_url):
        if next_url:
            next_url = next_url.replace(DOMAIN, "login.acme.example")  # e.g. a custom domain
        followed.append(next_url)
        return original(self, from_id, next_url)

    monkeypatch.setattr(logs_collector.LogsCollector, "fetch_page", fetch_page)
    harness.run()
    assert any(followed)
    assert harness.log_ids() == [log["log_id"] for log in tenant.visible_logs()]
