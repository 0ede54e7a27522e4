"""A detection's test case run through its saved search as shipped (:mod:`tools.spl_engine`), next to the Sigma
reference (pySigma's SQLite backend), both reduced to {alert group: event ids}."""

import csv
import os
import shutil
from typing import Any, Dict, List, Optional, Tuple

from tools.detections import cases, spl
from tools.detections.engine import Engine as SQLiteEngine
from tools.detections.model import ROOT, Detection
from tools.spl_engine import Engine, Event

DEFAULT = os.path.join(ROOT, "package", "default")
Groups = Dict[Tuple[str, ...], List[str]]


def lookups_dir(target: str, overrides: Dict[str, List[str]]) -> str:
    """The shipped lookups copied to ``target``, with a test case's replacement rows written in."""
    shutil.copytree(os.path.join(ROOT, "package", "lookups"), target)
    for name, rows in overrides.items():
        path = os.path.join(target, f"{name}.csv")
        with open(path, encoding="utf-8", newline="") as handle:
            columns = next(csv.reader(handle))
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for value in rows:
                writer.writerow([value] + [""] * (len(columns) - 1))
    return target


def run_once(
    detection: Detection,
    case: cases.Case,
    settings: Dict[str, str],
    scratch: str,
    macros: Optional[Dict[str, str]] = None,
) -> List[Dict[str, Any]]:
    """One scheduled run of ``settings`` (a savedsearches.conf stanza) after all of the case's events were
    indexed in the run's own interval; ``macros`` replace the shipped ones (e.g. an older macros.conf)."""
    if detection.is_inventory:
        times = [cases.moment(e["collected_at"]).timestamp() for e in case.inventory]
    else:
        times = [cases.moment(e["data"]["date"]).timestamp() for e in case.envelopes]
    scheduled = max(times) + 360
    latest = scheduled if settings["dispatch.latest_time"] == "now" else scheduled - 300
    indexed = latest - 1
    if detection.is_inventory:
        events = [Event.from_inventory(e, indextime=indexed) for e in case.inventory]
    else:
        events = [Event.from_envelope(e, indextime=indexed) for e in case.envelopes]
    engine = Engine.from_package(root=ROOT, watchlist=case.watchlist)
    if case.lookups or macros is not None:
        engine = Engine(
            macros=engine.macros if macros is None else macros,
            lookups_dir=lookups_dir(os.path.join(scratch, "lookups"), case.lookups),
            transforms_conf=os.path.join(DEFAULT, "transforms.conf"),
            watchlist=case.watchlist,
        )
    sliced = "dispatch.index_earliest" in settings
    interval = detection.run_interval_minutes * 60
    return engine.run(
        settings["search"],
        events,
        earliest=min(times) - (detection.timespan or 0) - 3600,
        latest=latest + 1,
        now=scheduled,
        index_earliest=latest - interval if sliced else None,
        index_latest=latest if sliced else None,
    )


def _ids(value: Any) -> List[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def groups(detection: Detection, results: List[Dict[str, Any]]) -> Dict[Tuple[str, ...], set]:
    """The saved search's results as {group: event ids}."""
    field = "object_ids" if detection.is_inventory else "log_ids"
    found: Dict[Tuple[str, ...], set] = {}
    for row in results:
        key = tuple(str(row.get(spl.friendly(g))).lower() for g in detection.group_by)
        found.setdefault(key, set()).update(_ids(row.get(field)))
    return found


def reference(detection: Detection, case: cases.Case) -> Groups:
    """SQLite's alerts, merged per group (one Splunk run reports one result per group)."""
    alerts = SQLiteEngine(case.envelopes, case.watchlist, case.lookups, inventory=case.inventory).run(detection)
    merged: Dict[Tuple[str, ...], set] = {}
    for alert in alerts:
        key = tuple(str(alert["group"][spl.friendly(g)]).lower() for g in detection.group_by)
        merged.setdefault(key, set()).update(alert["object_ids"] if detection.is_inventory else alert["log_ids"])
    return {key: sorted(ids) for key, ids in merged.items()}


def case_ids(detection: Detection, case: cases.Case) -> set:
    if detection.is_inventory:
        return {e.get("object_id") for e in case.inventory}
    return {e["log_id"] for e in case.envelopes}
