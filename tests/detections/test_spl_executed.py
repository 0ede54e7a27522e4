"""The SPL we ship, executed: every detection's saved search (as written in ``savedsearches.conf``, with the
macros of ``macros.conf``) runs in the offline model of Splunk's search language (:mod:`tools.spl_engine`) over
each of its test cases, and must report the same groups and events as the Sigma reference (pySigma's SQLite
backend). Events are presented as Splunk would hold them: raw JSON, automatic extraction cut at 5,000 bytes,
indexed shortly before the run."""

import csv
import os
import shutil

import pytest

from tools.detections import cases, model, spl
from tools.detections.engine import Engine as SQLiteEngine
from tools.knowledge.searchtime import read_conf
from tools.spl_engine import Engine, Event

ROOT = model.ROOT
DEFAULT = os.path.join(ROOT, "package", "default")
SAVED = {
    name: dict(stanza, search=stanza.get("search", "").replace("\\\n", "\n"))
    for name, stanza in read_conf(os.path.join(DEFAULT, "savedsearches.conf")).items()
}
DETECTIONS = model.load_all()
CASES = [(d, c) for d in DETECTIONS for c in cases.load(cases.tests_path(d))]
#: Where the model of the SPL and the Sigma reference are known to differ, and why.
KNOWN_DIFFERENCES = {}


def lookups_dir(tmp_path, overrides):
    """The shipped lookups, with a test case's replacements written in."""
    target = tmp_path / "lookups"
    shutil.copytree(os.path.join(ROOT, "package", "lookups"), target)
    for name, rows in (overrides or {}).items():
        path = target / f"{name}.csv"
        with open(path, encoding="utf-8", newline="") as handle:
            columns = next(csv.reader(handle))
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for value in rows:
                writer.writerow([value] + [""] * (len(columns) - 1))
    return str(target)


def run_once(detection, case, tmp_path):
    """One run of the saved search after all of the case's events were indexed in its own interval."""
    source = detection.source
    if detection.is_inventory:
        times = [cases.moment(e["collected_at"]).timestamp() for e in case.inventory]
    else:
        times = [cases.moment(e["data"]["date"]).timestamp() for e in case.envelopes]
    scheduled = max(times) + 360
    settings = SAVED[detection.name]
    latest = scheduled if settings["dispatch.latest_time"] == "now" else scheduled - 300
    interval = detection.run_interval_minutes * 60
    indexed = latest - 1
    if detection.is_inventory:
        events = [Event.from_inventory(e, indextime=indexed) for e in case.inventory]
    else:
        events = [Event.from_envelope(e, indextime=indexed) for e in case.envelopes]
    engine = Engine.from_package(root=ROOT, watchlist=case.watchlist)
    if case.lookups:
        engine = Engine(
            macros=engine.macros,
            lookups_dir=lookups_dir(tmp_path, case.lookups),
            transforms_conf=os.path.join(DEFAULT, "transforms.conf"),
            watchlist=case.watchlist,
        )
    span = detection.timespan or 0
    return engine.run(
        settings["search"],
        events,
        earliest=min(times) - span - 3600,
        latest=latest + 1,
        now=scheduled,
        index_earliest=latest - interval if "dispatch.index_earliest" in settings else None,
        index_latest=latest if "dispatch.index_earliest" in settings else None,
    ), source


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def reference(detection, case):
    """SQLite's alerts, merged per group (one Splunk run reports one result per group)."""
    alerts = SQLiteEngine(case.envelopes, case.watchlist, case.lookups, inventory=case.inventory).run(detection)
    merged = {}
    for alert in alerts:
        key = tuple(str(alert["group"][spl.friendly(g)]).lower() for g in detection.group_by)
        ids = alert["object_ids"] if detection.is_inventory else alert["log_ids"]
        merged.setdefault(key, set()).update(ids)
    return {key: sorted(ids) for key, ids in merged.items()}


@pytest.mark.parametrize(("detection", "case"), CASES, ids=[f"{d.slug}: {c.name}" for d, c in CASES])
def test_the_shipped_spl_reports_what_the_sigma_reference_does(detection, case, tmp_path):
    if (detection.slug, case.name) in KNOWN_DIFFERENCES:
        pytest.xfail(KNOWN_DIFFERENCES[(detection.slug, case.name)])
    results, _ = run_once(detection, case, tmp_path)
    ids_field = "object_ids" if detection.is_inventory else "log_ids"
    got = {}
    for row in results:
        key = tuple(str(row.get(spl.friendly(g))).lower() for g in detection.group_by)
        got.setdefault(key, set()).update(as_list(row.get(ids_field)))
    expected = reference(detection, case)
    assert set(got) == set(expected), "the SPL and the Sigma reference alert on different groups"
    if detection.kind.startswith("temporal"):
        # SQLite names the events of the first matching sequence; the saved search lists every event of the
        # group in the windows where the sequence holds (all later deletions after the invitation, say).
        for key, ids in expected.items():
            assert set(ids) <= got[key] <= case_ids(detection, case)
    else:
        assert {key: sorted(ids) for key, ids in got.items()} == expected


def case_ids(detection, case):
    if detection.is_inventory:
        return {e.get("object_id") for e in case.inventory}
    return {e["log_id"] for e in case.envelopes}
