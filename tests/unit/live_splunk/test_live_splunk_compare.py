"""Comparing splunkd's rows of a saved search with the reference engine's alerts."""

from tools.live_splunk import compare, plan


def ref(ids, severity="high", **group):
    return {"log_ids": sorted(ids), "group": group, "severity": severity}


def row(ids, **fields):
    return {"log_ids": ids if len(ids) != 1 else ids[0], **fields}


def test_the_same_alerts_agree():
    reference = [ref(["a", "b"], tenant="acme", src="1.2.3.4"), ref(["c"], tenant="acme", src="unknown")]
    rows = [row(["c"], tenant="acme", src="unknown"), row(["b", "a"], tenant="acme", src="1.2.3.4", count="2")]
    assert compare.compare(reference, rows, inventory=False) == []


def test_missing_and_extra_alerts_are_named():
    differences = compare.compare([ref(["a"], tenant="acme")], [row(["b"], tenant="acme")], inventory=False)
    assert differences == [
        "missing in Splunk: log_ids=['a'] (tenant='acme')",
        "only in Splunk: log_ids=['b'] (tenant='acme')",
    ]


def test_no_alert_on_either_side_agrees():
    assert compare.compare([], [], inventory=False) == []
    assert compare.compare([], [row(["x"])], inventory=False) == ["only in Splunk: log_ids=['x']"]


def test_a_different_group_value_is_a_difference():
    differences = compare.compare([ref(["a"], tenant="acme", count=3)], [row(["a"], tenant="other", count="3")], False)
    assert differences == ["log_ids=['a'] (count='3', tenant='acme'): tenant is 'other' in Splunk, 'acme' expected"]


def test_numbers_and_multivalue_fields_compare_as_splunk_prints_them():
    assert compare.normalize(5) == compare.normalize(5.0) == compare.normalize("5") == "5"
    assert compare.normalize(["b", "a", "a"]) == ("a", "b")
    assert compare.normalize(["a"]) == "a"
    assert compare.normalize([]) is None
    assert compare.normalize("") is None
    assert compare.normalize(True) == "true"


def test_severity_is_compared_only_when_splunk_gives_one():
    reference = [ref(["a"], severity="critical", tenant="t")]
    assert compare.compare(reference, [row(["a"], tenant="t")], False) == []
    assert compare.compare(reference, [row(["a"], tenant="t", severity="critical")], False) == []
    assert compare.compare(reference, [row(["a"], tenant="t", severity="high")], False) == [
        "log_ids=['a'] (tenant='t'): severity 'high' in Splunk, 'critical' expected"
    ]


def test_splunk_keeps_the_first_hundred_ids():
    ids = [f"id{n:03d}" for n in range(150)]
    assert compare.compare([ref(ids, tenant="t")], [row(sorted(ids)[:100], tenant="t")], False) == []
    assert compare.compare([ref(ids, tenant="t")], [row(sorted(ids)[50:], tenant="t")], False) != []


def test_inventory_alerts_are_identified_by_objects_and_snapshots():
    reference = [
        {"object_ids": ["c1"], "snapshot_ids": ["s1", "s2"], "event_ids": ["e1", "e2"], "group": {"tenant": "t"}}
    ]
    good = [{"object_ids": "c1", "snapshot_ids": ["s2", "s1"], "tenant": "t"}]
    assert compare.compare(reference, good, inventory=True) == []
    bad = [{"object_ids": "c1", "snapshot_ids": "s1", "tenant": "t"}]
    assert len(compare.compare(reference, bad, inventory=True)) == 2


def test_a_row_without_ids_is_reported():
    (difference,) = compare.compare([], [{"tenant": "t", "count": "1"}], inventory=False)
    assert difference.startswith("Splunk row without log_ids: count='1', tenant='t'")


def test_reference_alerts_of_real_cases_agree_with_themselves_as_splunk_rows():
    for live in plan.load(["api_explorer_token_issued", "dcr_*", "credential_stuffing_*"]):
        reference = live.reference()
        inventory = live.detection.is_inventory
        rows = []
        for alert in reference:
            fields = {name: alert[name] for name in compare.id_fields(inventory)}
            rows.append({**fields, **alert["group"]})
        assert compare.compare(reference, rows, inventory) == [], live.label
