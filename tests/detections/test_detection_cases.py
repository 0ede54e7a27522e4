"""Every detection's test events, executed by pySigma's SQLite backend (correlations included): each case must
produce exactly the alerts its tests.yml expects. Log rules take Log Streams envelopes, the posture rules
(``logsource: {product: auth0, service: inventory}``) inventory events."""

import os

import pytest

from tools.detections import cases, model
from tools.detections.engine import Engine

DETECTIONS = model.load_all()
CASES = [(detection, case) for detection in DETECTIONS for case in cases.load(cases.tests_path(detection))]


@pytest.mark.parametrize(
    ("detection", "case"), CASES, ids=[f"{d.slug}: {c.name}" for d, c in CASES]
)  # fmt: skip
def test_case(detection, case):
    assert bool(case.inventory) == detection.is_inventory
    assert bool(case.envelopes) != detection.is_inventory
    engine = Engine(case.envelopes, case.watchlist, case.lookups, inventory=case.inventory)
    alerts = engine.run(detection)
    assert sorted(Engine.ids(alert) for alert in alerts) == case.expected()
    by_ids = {tuple(Engine.ids(alert)): alert for alert in alerts}
    for ids, severity in case.expected_alerts():
        assert by_ids[tuple(ids)]["severity"] == (severity or detection.level)
    for alert in alerts:
        assert alert["detection"] == detection.name
        assert alert["first_seen"] <= alert["last_seen"]
        if detection.is_inventory:
            assert "log_ids" not in alert
            assert alert["object_ids"]
            assert alert["snapshot_ids"]
        else:
            assert "object_ids" not in alert


@pytest.mark.parametrize("detection", DETECTIONS, ids=[d.slug for d in DETECTIONS])
def test_every_detection_has_positive_and_negative_cases(detection):
    path = cases.tests_path(detection)
    assert os.path.exists(path), f"{detection.slug} has no tests.yml"
    loaded = cases.load(path)
    assert any(case.expect for case in loaded), "no positive case"
    assert any(not case.expect for case in loaded), "no negative case"
    if detection.threshold is not None:
        assert len(loaded) >= 3, "a threshold needs just-under, at and over cases"


def test_fifty_six_detections_with_unique_names_ids_and_slugs():
    assert len(DETECTIONS) == 56
    assert len({d.name for d in DETECTIONS}) == len({str(d.rule.id) for d in DETECTIONS}) == len(DETECTIONS)


POSTURE = {
    "action_deployed_or_changed", "action_user_data_grants_scope", "dcr_client_suspicious_redirect", "dcr_enabled",
    "management_api_grant_changed",
}  # fmt: skip


def test_the_posture_detections_run_over_the_inventory():
    assert {d.slug for d in DETECTIONS if d.is_inventory} == POSTURE
    for detection in DETECTIONS:
        for document in detection.documents:
            expected = {"product": "auth0", "service": "inventory"} if detection.is_inventory else {"product": "auth0"}
            assert document.get("logsource", expected) == expected, detection.slug


def test_inventory_events_do_not_reach_log_rules_and_log_events_not_inventory_rules():
    by_slug = {d.slug: d for d in DETECTIONS}
    posture = by_slug["dcr_enabled"]
    (case,) = [c for c in cases.load(cases.tests_path(posture)) if c.expect]
    assert Engine([], inventory=case.inventory).run(posture)
    assert Engine([]).run(posture) == []
    log_rule = by_slug["api_explorer_token_issued"]
    (positive, *_) = [c for c in cases.load(cases.tests_path(log_rule)) if c.expect]
    assert Engine(positive.envelopes, inventory=case.inventory).run(log_rule)
    assert Engine([], inventory=case.inventory).run(log_rule) == []


def test_an_inventory_test_file_takes_no_log_events(tmp_path):
    path = tmp_path / "tests.yml"
    path.write_text("defaults: {event: {object_type: x}}\ncases: [{name: n, events: [{data: {type: s}}]}]\n")
    with pytest.raises(ValueError, match="not both"):
        cases.load(str(path))
