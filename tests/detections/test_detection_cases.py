"""Every detection's test events, executed by pySigma's SQLite backend (correlations included): each case must
produce exactly the alerts its tests.yml expects."""

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
    engine = Engine(case.envelopes, case.watchlist, case.lookups)
    alerts = engine.run(detection)
    assert sorted(alert["log_ids"] for alert in alerts) == case.expected()
    for alert in alerts:
        assert alert["detection"] == detection.name
        assert alert["first_seen"] <= alert["last_seen"]


@pytest.mark.parametrize("detection", DETECTIONS, ids=[d.slug for d in DETECTIONS])
def test_every_detection_has_positive_and_negative_cases(detection):
    path = cases.tests_path(detection)
    assert os.path.exists(path), f"{detection.slug} has no tests.yml"
    loaded = cases.load(path)
    assert any(case.expect for case in loaded), "no positive case"
    assert any(not case.expect for case in loaded), "no negative case"
    if detection.threshold is not None:
        assert len(loaded) >= 3, "a threshold needs just-under, at and over cases"


def test_fifty_detections_with_unique_names_ids_and_slugs():
    assert len(DETECTIONS) == 50
    assert len({d.name for d in DETECTIONS}) == len({str(d.rule.id) for d in DETECTIONS}) == len(DETECTIONS)
