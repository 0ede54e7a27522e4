"""HEC payloads and the run plan, built from the detections' own test cases."""

import datetime
import json

import pytest

from tools.detections import cases, model
from tools.detections.engine import Engine
from tools.live_splunk import detections, hec, plan


def envelope(log_id="a1", date="2026-01-05T10:00:00.250Z", **data):
    return {"log_id": log_id, "data": {"date": date, "type": "sapi", "log_id": log_id, **data}}


def test_a_log_event_goes_to_hec_as_a_log_stream_sends_it():
    event = envelope(tenant_name="acme")
    (item,) = hec.log_payloads([event], "ta-auth0-live:x:1", "auth0_live")
    assert item == {
        "time": 1767607200.25,
        "host": "ta-auth0-live",
        "source": "ta-auth0-live:x:1",
        "sourcetype": "auth0",
        "index": "auth0_live",
        "event": event,
    }


def test_an_inventory_event_goes_with_sourcetype_auth0_inventory_and_its_snapshot_time():
    event = {"event_id": "e", "object_type": "client", "object_id": "c1", "collected_at": "2026-01-05T10:00:00Z"}
    (item,) = hec.inventory_payloads([event], "s", "i")
    assert item["sourcetype"] == "auth0:inventory"
    assert item["time"] == datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.timezone.utc).timestamp()
    assert item["event"] is event


def test_batches_split_by_size_and_hold_one_json_object_per_line():
    payloads = [hec.payload(envelope(f"id{n}", blob="x" * 200), 0.0, "s", "auth0", "i") for n in range(50)]
    bodies = list(hec.batches(payloads, max_bytes=2000))
    assert len(bodies) > 1
    assert all(len(body) <= 2000 for body in bodies)
    decoded = [json.loads(line) for body in bodies for line in body.splitlines()]
    assert decoded == payloads


def test_every_case_gets_its_own_source_and_the_plan_covers_both_kinds_of_events():
    planned = plan.load(["dcr_*"])
    assert {live.slug for live in planned} >= {"dcr_registration_burst", "dcr_enabled"}
    assert len({live.source for live in planned}) == len(planned)
    assert all(live.source.startswith("ta-auth0-live:dcr_") for live in planned)
    kinds = {live.detection.is_inventory for live in planned}
    assert kinds == {True, False}
    for live in planned:
        payloads = hec.log_payloads(live.case.envelopes, live.source, "i") + hec.inventory_payloads(
            live.case.inventory, live.source, "i"
        )
        assert len(payloads) == live.event_count
        wanted = "auth0:inventory" if live.detection.is_inventory else "auth0"
        assert {p["sourcetype"] for p in payloads} == {wanted}


def test_the_plan_reference_is_what_the_detection_tests_expect():
    for live in plan.load(["dcr_registration_burst", "api_explorer_token_issued"]):
        assert sorted(Engine.ids(alert) for alert in live.reference()) == live.case.expected(), live.label


def test_events_in_the_past_are_not_moved():
    assert plan.shift_needed(latest_event=1000.0, now=1000.0 + 2 * plan.MARGIN_SECONDS) == 0


def test_events_not_well_in_the_past_move_back_by_whole_weeks():
    now = 10 * plan.WEEK
    assert plan.shift_needed(latest_event=now, now=now) == -plan.WEEK
    assert plan.shift_needed(latest_event=now + 9 * 86400, now=now) == -2 * plan.WEEK


def test_shifting_keeps_weekday_time_of_day_and_the_alerts():
    (detection,) = [d for d in model.load_all() if d.slug == "dcr_registration_burst"]
    for case in cases.load(cases.tests_path(detection)):
        moved = plan.shift_case(case, -3 * plan.WEEK)
        for before, after in zip(case.envelopes, moved.envelopes):
            old, new = cases.moment(before["data"]["date"]), cases.moment(after["data"]["date"])
            assert old - new == datetime.timedelta(weeks=3)
        original = Engine(case.envelopes, case.watchlist, case.lookups).run(detection)
        shifted = Engine(moved.envelopes, moved.watchlist, moved.lookups).run(detection)
        assert [a["log_ids"] for a in original] == [a["log_ids"] for a in shifted]
        assert case.envelopes[0]["data"]["date"] != moved.envelopes[0]["data"]["date"] or not case.envelopes


def test_inventory_cases_shift_collected_at():
    live = plan.load(["dcr_enabled"])[0]
    moved = plan.shift_case(live.case, -plan.WEEK)
    assert cases.moment(live.case.inventory[0]["collected_at"]) - cases.moment(moved.inventory[0]["collected_at"]) == (
        datetime.timedelta(weeks=1)
    )


def test_the_search_window_covers_the_events_and_the_ingestion():
    window = detections.window(first_event=1_000_000.5, ingest_start=2_000_000.2, ingest_end=2_000_030.9)
    assert window.params() == {
        "earliest_time": 1_000_000 - 86400,
        "latest_time": 2_000_031,
        "index_earliest": 1_999_999,
        "index_latest": 2_000_031,
    }


def test_an_ingestion_longer_than_the_shortest_gate_is_refused():
    with pytest.raises(ValueError, match="gated searches"):
        detections.window(first_event=0, ingest_start=1000, ingest_end=1000 + detections.MIN_GATE_SECONDS + 5)


def test_the_case_macro_restricts_the_index_to_the_case_source():
    assert (
        detections.macro_definition("auth0_live", "ta-auth0-live:x:3") == 'index=auth0_live source="ta-auth0-live:x:3"'
    )


def test_lookup_files_for_a_case_and_the_shipped_file():
    lookup = detections.placeholders.LOOKUPS["auth0_redirect_domain_allowlist"]
    text = detections.lookup_csv(lookup, ["*.example.com", "login.example.org"]).decode()
    assert text.splitlines()[0] == ",".join(lookup.columns)
    assert text.splitlines()[1:] == ["*.example.com,", "login.example.org,"]
    with open(detections.os.path.join(detections.placeholders.LOOKUP_DIR, lookup.filename), "rb") as handle:
        assert detections.lookup_csv(lookup, None) == handle.read()


def test_watchlist_rows_become_text_documents_of_people():
    rows = detections.watchlist_rows([{"client_id": "APP1", "category": "critical", "n": 3}])
    assert rows == [{"client_id": "APP1", "category": "critical", "n": "3", "source": "manual"}]


def test_saved_search_text_loses_conf_line_continuations():
    assert detections.search_text("`auth0_logs` x \\\n| stats count\n") == "`auth0_logs` x \n| stats count"
