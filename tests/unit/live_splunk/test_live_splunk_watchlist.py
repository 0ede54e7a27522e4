"""The | auth0watchlist check's expectations come from the command's own module (ta_auth0.watchlist)."""

import time

from tools.live_splunk import watchlist_check as check


def expected(options):
    return check.expected(check.ROWS, check.envelopes(time.time()), options, time.time())


def test_the_default_search_marks_every_event_as_the_command_would():
    result = expected({})
    assert set(result) == {log_id for log_id, _ in check.EVENTS}
    matches = {log_id: (f["watchlist_category"], f["watchlist_field"]) for log_id, f in result.items()}
    assert matches["w-explorer"] == ("api_explorer", "data.client_id")
    assert matches["w-secret"] == ("critical", "data.details.response.body.client_id")
    assert matches["w-path"] == ("critical", "data.details.request.path")
    assert matches["w-m2m"] == ("privileged_m2m", "data.user_id")
    assert matches["w-list"] == ("privileged_m2m", "data.details.response.body{}.client_id")
    assert matches["w-caller"] == ("api_explorer", "data.details.response.body.client_id")
    assert result["w-dup"]["watchlist_label"] == "manual row"  # a person's row wins over the inventory's
    for log_id in ("w-expired", "w-none"):
        assert result[log_id]["watchlist_match"] == "false"
        assert result[log_id]["watchlist_category"] == ""


def test_category_and_filter_options():
    critical = expected({"category": "critical"})
    assert critical["w-explorer"]["watchlist_match"] == "false"
    assert critical["w-caller"]["watchlist_client_id"] == "LiveCritical0001"
    filtered = expected({"fields": "data.client_id", "mode": "filter"})
    assert sorted(filtered) == ["w-caller", "w-dup", "w-explorer"]


def test_the_spl_runs_the_command_over_the_product_macro():
    assert check.spl("category=critical") == (
        "`auth0_logs` | auth0watchlist category=critical | table log_id watchlist_match watchlist_category "
        "watchlist_label watchlist_field watchlist_client_id"
    )


def test_results_that_disagree_are_named():
    wanted = expected({"fields": "data.client_id", "mode": "filter"})
    rows = [{"log_id": log_id, **fields} for log_id, fields in wanted.items()]
    assert check.compare_rows(wanted, rows) == []
    rows[0] = {**rows[0], "watchlist_category": "custom"}
    rows.append({"log_id": "w-none", "watchlist_match": "false"})
    differences = check.compare_rows(wanted, rows[1:] + rows[:1])
    assert any("watchlist_category is 'custom'" in d for d in differences)
    assert "w-none: should not be in the results" in differences
    assert check.compare_rows(wanted, []) == [f"{log_id}: missing from the results" for log_id in sorted(wanted)]


def test_empty_output_fields_equal_fields_splunk_leaves_out():
    wanted = {"w-none": {**dict.fromkeys(check.CHECKED, ""), "watchlist_match": "false"}}
    assert check.compare_rows(wanted, [{"log_id": "w-none", "watchlist_match": "false"}]) == []
