"""The offline model of Splunk's search pipeline (:mod:`tools.spl_engine`) behaves as Splunk's documentation says,
on the points the add-on's searches depend on."""

import json

import pytest

from tools.detections.model import ROOT
from tools.spl_engine import Engine, Event, SplError

T0 = 1_767_607_200.0  # 2026-01-05T10:00:00Z


def log(log_id, at, **data):
    body = {"date": at, "type": "s", "tenant_name": "acme"}
    body.update(data)
    return Event.from_envelope({"log_id": log_id, "data": body}, indextime=at + 5)


def run(search, events, macros=None, **times):
    engine = Engine.from_package(ROOT)
    if macros:
        engine.macros.update(macros)
    times.setdefault("earliest", T0 - 86400)
    times.setdefault("latest", T0 + 86400)
    times.setdefault("now", T0 + 86400)
    return engine.run(search, events, **times)


def test_a_macro_inside_a_quoted_string_stays_literal():
    events = [log("a", T0, user_name="7m")]
    assert run("`auth0_logs` | where 'data.user_name'=\"`m`m\"", events, macros={"m": "7"}) == []
    assert len(run("`auth0_logs` | where 'data.user_name'=`m` . \"m\"", events, macros={"m": "7"})) == 1


def test_automatic_extraction_stops_at_5000_bytes_but_spath_path_reads_everything():
    event = log("big", T0, details={"padding": "x" * 6000, "late": "here"})
    (row,) = run("`auth0_logs`", [event])
    assert "data.details.late" not in row
    (row,) = run('`auth0_logs` | spath output=late path="data.details.late"', [event])
    assert row["late"] == "here"


def test_stats_by_a_multivalue_field_counts_the_result_under_each_value():
    rows = run("`auth0_logs` | eval w=mvrange(0, 3, 1) | stats count by w", [log("a", T0), log("b", T0 + 1)])
    assert [(r["w"], r["count"]) for r in rows] == [("0", "2"), ("1", "2"), ("2", "2")]


def test_stats_and_dedup_drop_results_without_their_fields():
    events = [log("a", T0, ip="1.1.1.1"), log("b", T0 + 1)]
    assert [r["data.ip"] for r in run("`auth0_logs` | stats count by data.ip", events)] == ["1.1.1.1"]
    assert [r["log_id"] for r in run("`auth0_logs` | dedup data.ip", events)] == ["a"]
    (row,) = run("`auth0_logs` | where isnull('data.type') | stats count", events)
    assert row == {"count": "0"}  # stats without by: one result even over none


def test_values_are_distinct_and_lexicographic_min_max_numeric():
    events = [log(str(n), T0 + n, ip=ip) for n, ip in enumerate(["9", "10", "9", "100"])]
    (row,) = run(
        "`auth0_logs` | stats values(data.ip) as ips dc(data.ip) as n min(data.ip) as lo max(data.ip) as hi", events
    )
    assert row == {"ips": ["10", "100", "9"], "n": "3", "lo": "9", "hi": "100"}


def test_streamstats_time_window_holds_at_most_max_stream_window_results():
    events = [log(str(n), T0 + n) for n in range(10_050)]
    rows = run("`auth0_logs` | sort 0 _time | streamstats time_window=1d count as c", events)
    assert max(int(r["c"]) for r in rows) == 10_000


def test_events_come_newest_first_within_the_time_and_index_ranges():
    events = [log("old", T0 - 100), log("a", T0), log("b", T0 + 10), log("late", T0 + 20)]
    events[-1].indextime = T0 + 3600
    rows = run("`auth0_logs`", events, earliest=T0, latest=T0 + 60, index_earliest=T0, index_latest=T0 + 600)
    assert [r["log_id"] for r in rows] == ["b", "a"]


def test_lookup_matches_each_value_of_a_multivalue_field_and_cidr_rows():
    events = [log("a", T0, details={"request": {"body": {"scope": ["read:users", "update:clients"]}}})]
    search = (
        '`auth0_logs` | spath output=s path="data.details.request.body.scope{}" '
        "| lookup auth0_sensitive_management_scopes scope AS s OUTPUT scope AS hit"
    )
    (row,) = run(search, events)
    assert row["hit"] == "update:clients"


def test_unmodelled_commands_and_functions_fail_loudly():
    with pytest.raises(SplError, match="join is not modelled"):
        run("`auth0_logs` | join log_id [search `auth0_logs`]", [log("a", T0)])
    with pytest.raises(Exception, match="not modelled"):
        run("`auth0_logs` | eval x=sha256(log_id)", [log("a", T0)])


def test_the_watchlist_command_uses_the_add_on_logic():
    engine = Engine.from_package(ROOT, watchlist=[{"client_id": "APP1", "category": "critical", "reason": "r"}])
    events = [log("a", T0, client_id="APP1"), log("b", T0 + 1, client_id="OTHER")]
    rows = engine.run("`auth0_logs` | auth0watchlist", events, earliest=T0 - 10, latest=T0 + 10, now=T0 + 10)
    assert {r["log_id"]: r["watchlist_match"] for r in rows} == {"a": "true", "b": "false"}
    assert json.dumps(rows).count("critical") == 1
