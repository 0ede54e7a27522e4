"""Splunk's search scheduler and alert throttling, as they apply to the add-on's saved searches: runs a stanza's
search (with :class:`tools.spl_engine.Engine`) at every scheduled time of a period and reports which results
became alerts.

Modelled from savedsearches.conf.spec:

* ``cron_schedule`` ``*/N * * * *`` or ``M * * * *``: the scheduled times;
* ``realtime_schedule``: ``1`` (the default) lets the scheduler skip a run it could not start in time, and the
  next run covers only its own period; ``0`` (continuous scheduling) never skips: a delayed run executes later
  with its scheduled time as "now", so its time ranges are those of the schedule;
* ``dispatch.earliest_time/latest_time`` and ``dispatch.index_earliest/index_latest``: relative to the scheduled
  time (``-15m@m``, ``-25h@h``, ``now``);
* ``alert.suppress``, ``alert.suppress.period`` and ``alert.suppress.fields``: a result whose suppression fields
  equal those of an alert fired less than the period ago is not an alert (throttled).

What an event looks like to a run: it is searchable once indexed (``_indextime`` before the run starts).
"""

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from tools.detections.model import parse_span
from tools.knowledge.spl_eval import relative_time


def resolve_time(modifier: str, now: float) -> Optional[float]:
    """A relative time modifier (``-15m@m``, ``-25h@h``, ``now``, ``""``) as epoch seconds, relative to ``now``
    (read as eval's ``relative_time`` reads it)."""
    text = (modifier or "").strip()
    if text == "":
        return None
    if text == "now":
        return now
    moment = relative_time(now, text)
    if moment is None:
        raise ValueError(f"time modifier not modelled: {text!r}")
    return moment


def scheduled_times(cron: str, start: float, end: float) -> List[float]:
    """Scheduled times of a ``*/N * * * *`` or ``M * * * *`` cron in [start, end)."""
    fields = cron.split()
    if fields[1:] != ["*"] * 4:
        raise ValueError(f"cron not modelled: {cron!r}")
    if fields[0].startswith("*/"):
        step, offset = int(fields[0][2:]) * 60, 0
    else:
        step, offset = 3600, int(fields[0]) * 60
    first = start - (start - offset) % step
    if first < start:
        first += step
    times = []
    moment = first
    while moment < end:
        times.append(moment)
        moment += step
    return times


@dataclass
class Alert:
    scheduled: float
    result: Dict[str, Any]


@dataclass
class Run:
    scheduled: float
    started: float
    results: List[Dict[str, Any]]


class Scheduler:
    """Runs one saved search (its ``savedsearches.conf`` settings) over events through its schedule."""

    def __init__(self, engine, settings: Dict[str, str], busy: Sequence[Tuple[float, float]] = ()):
        self.engine = engine
        self.settings = settings
        self.busy = list(busy)  # periods in which the scheduler cannot start this search

    def _start_time(self, scheduled: float) -> float:
        started = scheduled
        for begin, end in self.busy:
            if begin <= started < end:
                started = end
        return started

    def runs(self, events: Sequence[Any], start: float, end: float) -> List[Run]:
        settings = self.settings
        times = scheduled_times(settings["cron_schedule"], start, end)
        continuous = settings.get("realtime_schedule", "1") == "0"
        runs = []
        for number, scheduled in enumerate(times):
            started = self._start_time(scheduled)
            following = times[number + 1] if number + 1 < len(times) else None
            if not continuous and following is not None and started >= following:
                continue  # real-time scheduling skips a run that could not start before the next one
            visible = [event for event in events if event.indextime < started]
            results = self.engine.run(
                settings["search"],
                visible,
                earliest=resolve_time(settings.get("dispatch.earliest_time", ""), scheduled),
                latest=resolve_time(settings.get("dispatch.latest_time", "") or "now", scheduled),
                now=scheduled,
                index_earliest=resolve_time(settings.get("dispatch.index_earliest", ""), scheduled),
                index_latest=resolve_time(settings.get("dispatch.index_latest", ""), scheduled),
            )
            runs.append(Run(scheduled, started, results))
        return runs

    def alerts(self, events: Sequence[Any], start: float, end: float) -> List[Alert]:
        """The results that became alerts (after throttling), in run order."""
        settings = self.settings
        suppress = settings.get("alert.suppress") == "1"
        period = parse_span(settings["alert.suppress.period"]) if suppress else 0
        fields = [f for f in settings.get("alert.suppress.fields", "").split(",") if f]
        fired: Dict[Tuple[Any, ...], float] = {}
        alerts = []
        for run in self.runs(events, start, end):
            for result in run.results:
                key = tuple(_key(result.get(f)) for f in fields)
                last = fired.get(key)
                if suppress and last is not None and run.started - last < period:
                    continue
                fired[key] = run.started
                alerts.append(Alert(run.scheduled, result))
        return alerts


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def alert_ids(alerts: Iterable[Alert], field: str = "log_ids") -> List[List[str]]:
    found = []
    for alert in alerts:
        value = alert.result.get(field) or []
        found.append(sorted(value if isinstance(value, list) else [value]))
    return found
