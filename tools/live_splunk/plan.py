"""What the live run sends and expects: every detection's test cases, each under its own ``source``.

Each case of ``detections/<slug>/tests.yml`` becomes a :class:`LiveCase`: its events go to the index with
``source=ta-auth0-live:<slug>:<n>``, and its search runs with the ``auth0_index`` macro set to that index and
source, so the case sees its own events only (test cases reuse log ids, tenants and addresses). Its reference
alerts come from the SQLite engine of ``tests/detections`` over the same events, watchlist and lookups.

The test events are dated around 2026-01-05. A search only sees events before its latest time, and the gated
searches need that latest time within minutes of ingestion; if any event is not well in the past, every event is
moved back by the same whole number of weeks (weekday and time of day stay the same).
"""

import copy
import dataclasses
import datetime
import fnmatch
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from tools.detections import cases, model
from tools.detections.engine import Engine
from tools.detections.events import parse_date

SOURCE_PREFIX = "ta-auth0-live"
WEEK = 7 * 86400
#: Events must be at least this much older than the moment the searches run from.
MARGIN_SECONDS = 3600


@dataclass
class LiveCase:
    number: int
    detection: Any  # tools.detections.model.Detection
    case: cases.Case

    @property
    def slug(self) -> str:
        return self.detection.slug

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}:{self.slug}:{self.number}"

    @property
    def label(self) -> str:
        return f"{self.slug}: {self.case.name}"

    @property
    def event_count(self) -> int:
        return len(self.case.envelopes) + len(self.case.inventory)

    def times(self) -> List[float]:
        return [parse_date(e["data"]["date"]) for e in self.case.envelopes] + [
            parse_date(e["collected_at"]) for e in self.case.inventory
        ]

    def reference(self) -> List[Dict[str, Any]]:
        """The alerts of the SQLite engine (what ``tests/detections`` asserts) over this case."""
        case = self.case
        engine = Engine(case.envelopes, case.watchlist, case.lookups, inventory=case.inventory)
        return engine.run(self.detection)


def load(only: Sequence[str] = ()) -> List[LiveCase]:
    """Every detection's cases (``only``: slug globs), numbered per detection."""
    planned = []
    for detection in model.load_all():
        if only and not any(fnmatch.fnmatchcase(detection.slug, pattern) for pattern in only):
            continue
        for number, case in enumerate(cases.load(cases.tests_path(detection)), 1):
            planned.append(LiveCase(number, detection, case))
    return planned


def shift_needed(latest_event: float, now: float, margin: float = MARGIN_SECONDS) -> int:
    """Seconds (a whole number of weeks, zero or negative) to move every event so the latest is at least
    ``margin`` before ``now``."""
    late = latest_event - (now - margin)
    if late <= 0:
        return 0
    return -WEEK * math.ceil(late / WEEK)


def _shifted_date(value: str, seconds: int) -> str:
    moved = cases.moment(value) + datetime.timedelta(seconds=seconds)
    return cases.iso(moved)


def shift_case(case: cases.Case, seconds: int) -> cases.Case:
    """A copy of ``case`` with every event's ``data.date`` (log events) or ``collected_at`` (inventory) moved."""
    if not seconds:
        return case
    envelopes = copy.deepcopy(case.envelopes)
    for envelope in envelopes:
        envelope["data"]["date"] = _shifted_date(envelope["data"]["date"], seconds)
    inventory = copy.deepcopy(case.inventory)
    for event in inventory:
        event["collected_at"] = _shifted_date(event["collected_at"], seconds)
    return dataclasses.replace(case, envelopes=envelopes, inventory=inventory)


def shift_all(planned: List[LiveCase], now: float) -> int:
    """Move every case's events back when needed (see the module's docstring); returns the shift in seconds."""
    times = [t for live in planned for t in live.times()]
    seconds = shift_needed(max(times), now) if times else 0
    for live in planned:
        live.case = shift_case(live.case, seconds)
    return seconds


def time_bounds(planned: List[LiveCase]) -> Optional[float]:
    """The earliest event time of the plan (None when it is empty)."""
    times = [t for live in planned for t in live.times()]
    return min(times) if times else None
