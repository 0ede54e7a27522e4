"""The SPL we ship, executed: every detection's saved search (as written in ``savedsearches.conf``, with the
macros of ``macros.conf``) runs in the offline model of Splunk's search language (:mod:`tools.spl_engine`) over
each of its test cases, and must report the same groups and events as the Sigma reference (pySigma's SQLite
backend). Events are presented as Splunk would hold them: raw JSON, automatic extraction cut at 5,000 bytes,
indexed shortly before the run."""

import pytest

from tools.detections import cases, model, spl_cases
from tools.knowledge.searchtime import read_saved_searches

SAVED = read_saved_searches()
DETECTIONS = model.load_all()
CASES = [(d, c) for d in DETECTIONS for c in cases.load(cases.tests_path(d))]


@pytest.mark.parametrize(("detection", "case"), CASES, ids=[f"{d.slug}: {c.name}" for d, c in CASES])
def test_the_shipped_spl_reports_what_the_sigma_reference_does(detection, case, tmp_path):
    results = spl_cases.run_once(detection, case, SAVED[detection.name], str(tmp_path))
    got = spl_cases.groups(detection, results)
    expected = spl_cases.reference(detection, case)
    assert set(got) == set(expected), "the SPL and the Sigma reference alert on different groups"
    if detection.kind.startswith("temporal"):
        # SQLite names the events of the first matching sequence; the saved search lists every event of the
        # group in the windows where the sequence holds (all later deletions after the invitation, say).
        for key, ids in expected.items():
            assert set(ids) <= got[key] <= spl_cases.case_ids(detection, case)
    else:
        assert {key: sorted(ids) for key, ids in got.items()} == expected


def test_every_detection_has_a_case_that_alerts_in_the_spl():
    alerting = {d.slug for d, c in CASES if any(c.expect)}
    assert alerting == {d.slug for d in DETECTIONS}
