"""The per-case run against a stand-in for splunkd that answers with the reference engine's alerts: the plumbing
(ingestion, the case's source in the auth0_index macro, its watchlist and lookups, the clean-up) and the verdicts."""

from live_fakes import FakeCollector, FakeSplunk

from tools.detections import placeholders
from tools.live_splunk import detections, plan

SLUGS = ["api_explorer_token_issued", "attack_protection_allowlist_unknown_ip", "dcr_redirect_uri_unexpected",
         "dcr_enabled", "dcr_registration_burst"]  # fmt: skip


def run(drop=(), fail=()):
    planned = plan.load(SLUGS)
    collector, files = FakeCollector(), {}
    splunk = FakeSplunk(planned, collector, files, drop, fail)
    said = []
    runner = detections.Runner(splunk, collector, files.__setitem__, said.append)
    started, ended = runner.ingest(planned, timeout=5)
    outcomes = runner.run(planned, plan.time_bounds(planned), started, ended)
    return planned, collector, splunk, files, outcomes, said


def test_every_case_is_ingested_under_its_source_and_agrees():
    planned, collector, splunk, _files, outcomes, said = run()
    assert len(collector.payloads) == sum(live.event_count for live in planned)
    assert {p["index"] for p in collector.payloads} == {"auth0_live"}
    assert [o.status for o in outcomes] == ["ok"] * len(planned)
    assert len(said) == len(planned)
    assert all(line.startswith("  ok") for line in said)
    spl, times = splunk.searches[0]
    assert spl == "`auth0_logs` \n| stats count"
    assert set(times) == {"earliest_time", "latest_time", "index_earliest", "index_latest"}


def test_the_watchlist_and_lookups_are_back_to_shipped_after_the_run():
    _planned, _collector, splunk, files, _outcomes, _said = run()
    assert splunk.kv == []
    assert files  # some case replaced a lookup ...
    for path, content in files.items():  # ... and every file written is the shipped one again
        lookup = next(lk for lk in placeholders.LOOKUPS.values() if path.endswith("/" + lk.filename))
        assert content == detections.lookup_csv(lookup, None)


def test_a_missing_alert_and_a_failing_search_are_reported():
    planned = plan.load(SLUGS)
    positive = next(live for live in planned if live.case.expect)
    broken = next(live for live in planned if live is not positive)
    _p, _c, _s, _f, outcomes, said = run(drop=[positive.source], fail=[broken.source])
    by_source = {o.source: o for o in outcomes}
    assert by_source[positive.source].status == "mismatch"
    assert by_source[positive.source].details[0].startswith("missing in Splunk: log_ids=")
    assert by_source[broken.source].status == "error"
    assert "HTTP 400" in by_source[broken.source].details[0]
    assert sum(o.status == "ok" for o in outcomes) == len(planned) - 2
    assert any(line.startswith("  DIFF") for line in said)
    assert any(line.startswith("  ERROR") for line in said)
