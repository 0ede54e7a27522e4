"""Every detection's test cases, ingested through HEC and searched in splunkd, against the reference engine.

How the saved searches run. The shipped searches are scheduled and disabled; a disabled saved search cannot be
dispatched, and its dispatch window is relative to the scheduled time. Each detection's search text is read from
the installed app (``saved/searches``) and run as an ad-hoc search in the app's context, with the macros expanded
by splunkd, over explicit times:

* ``earliest_time``: a day before the earliest test event; ``latest_time``: one second after ingestion ended;
* ``index_earliest``/``index_latest``: the ingestion, as a scheduled run's own index-time slice would be
  (event rules; the scheduled searches take it from ``dispatch.index_earliest``/``index_latest``);
* the gated searches (correlations, state rules: ``| addinfo`` and ``_indextime`` within the last interval before
  ``info_max_time``) see ``info_max_time`` = ``latest_time``, so every event was indexed within their interval:
  ingestion must end within :data:`MIN_GATE_SECONDS` of its start, which a few thousand events do easily.

Each case has its own ``source``; before its search the ``auth0_index`` macro becomes
``index=auth0_live source="<the case's source>"``, the KV store watchlist holds the case's ``watchlist`` rows,
and a lookup a case replaces (``lookups:``) is written into the app's ``lookups/`` folder (the shipped file is
put back for the other cases).
"""

import csv
import io
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from tools.detections import placeholders
from tools.detections.engine import Engine
from tools.live_splunk import compare, hec
from tools.live_splunk.plan import LiveCase
from tools.live_splunk.rest import Hec, Splunk, SplunkError

INDEX = "auth0_live"
APP = "TA-auth0"
COLLECTION = "auth0_client_watchlist"
LOOKUP_DIR_IN_CONTAINER = "/opt/splunk/etc/apps/TA-auth0/lookups"
#: The shortest _indextime gate of the saved searches (state rules: 10 minutes), in seconds.
MIN_GATE_SECONDS = 600
DAY = 86400


@dataclass
class Outcome:
    label: str
    source: str
    status: str  # ok, mismatch, error
    details: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    reference: List[Dict[str, Any]] = field(default_factory=list)
    splunk: List[Dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class Window:
    earliest_time: int
    latest_time: int
    index_earliest: int
    index_latest: int

    def params(self) -> Dict[str, int]:
        return asdict(self)


def macro_definition(index: str, source: str) -> str:
    return f'index={index} source="{source}"'


def window(first_event: float, ingest_start: float, ingest_end: float) -> Window:
    """The search times of the run (see the module's docstring); ValueError when ingestion took too long for the
    gated searches to see all of it."""
    latest = int(ingest_end) + 1
    if latest - MIN_GATE_SECONDS > int(ingest_start):
        raise ValueError(
            f"ingestion took {ingest_end - ingest_start:.0f} s; the gated searches need it within {MIN_GATE_SECONDS} s"
        )
    return Window(int(first_event) - DAY, latest, int(ingest_start) - 1, latest)


def lookup_csv(lookup: placeholders.Lookup, values: Optional[List[str]]) -> bytes:
    """The lookup file for a case: the shipped file (``values`` None) or the case's rows (other columns empty)."""
    if values is None:
        with open(os.path.join(placeholders.LOOKUP_DIR, lookup.filename), "rb") as handle:
            return handle.read()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(lookup.columns), lineterminator="\n")
    writer.writeheader()
    for value in values:
        writer.writerow({column: (str(value) if column == lookup.column else "") for column in lookup.columns})
    return buffer.getvalue().encode("utf-8")


def watchlist_rows(rows: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """A case's watchlist rows as KV store documents (text fields; a person's row unless it says otherwise)."""
    documents = []
    for row in rows:
        document = {str(key): "" if value is None else str(value) for key, value in row.items()}
        document.setdefault("source", "manual")
        documents.append(document)
    return documents


def search_text(spl: str) -> str:
    """A saved search's text as an ad-hoc search (line continuations of the .conf file removed if present)."""
    return spl.replace("\\\r\n", "\n").replace("\\\n", "\n").strip()


class Runner:
    def __init__(
        self,
        splunk: Splunk,
        collector: Hec,
        write_file: Callable[[str, bytes], None],
        say: Callable[[str], None] = print,
        index: str = INDEX,
        app: str = APP,
    ):
        self.splunk = splunk
        self.collector = collector
        self.write_file = write_file
        self.say = say
        self.index = index
        self.app = app
        self._watchlist: Optional[List[Dict[str, str]]] = None
        self._lookups: Dict[str, Optional[List[str]]] = dict.fromkeys(placeholders.LOOKUPS)

    # -- ingestion -------------------------------------------------------------------------------------------------
    def ingest(self, planned: List[LiveCase], timeout: float = 300) -> Tuple[float, float]:
        """Send every case's events; return (start, end) of the ingestion, end once all are searchable."""
        start = time.time()
        payloads = []
        for live in planned:
            payloads += hec.log_payloads(live.case.envelopes, live.source, self.index)
            payloads += hec.inventory_payloads(live.case.inventory, live.source, self.index)
        for body in hec.batches(payloads):
            self.collector.send(body)
        expected = {live.source: live.event_count for live in planned if live.event_count}
        self.wait_indexed(expected, timeout)
        return start, time.time()

    def indexed_counts(self) -> Dict[str, int]:
        rows, _ = self.splunk.oneshot(self.app, f"| tstats count where index={self.index} by source")
        return {str(row.get("source")): int(row.get("count", 0)) for row in rows}

    def wait_indexed(self, expected: Dict[str, int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            counts = self.indexed_counts()
            short = {source: n for source, n in expected.items() if counts.get(source, 0) < n}
            if not short:
                return
            if time.monotonic() > deadline:
                total = sum(expected.values())
                missing = sum(n - counts.get(source, 0) for source, n in short.items())
                raise SplunkError(f"{missing} of {total} events are not searchable after {timeout:.0f} s")
            time.sleep(2)

    # -- per-case state --------------------------------------------------------------------------------------------
    def use_watchlist(self, rows: List[Dict[str, Any]]) -> None:
        documents = watchlist_rows(rows)
        if documents != self._watchlist:
            self.splunk.kv_replace(self.app, COLLECTION, documents)
            self._watchlist = documents

    def use_lookups(self, overrides: Dict[str, List[str]]) -> None:
        for name, lookup in placeholders.LOOKUPS.items():
            wanted = overrides.get(name)
            wanted = None if wanted is None else [str(value) for value in wanted]
            if wanted != self._lookups[name]:
                self.write_file(f"{LOOKUP_DIR_IN_CONTAINER}/{lookup.filename}", lookup_csv(lookup, wanted))
                self._lookups[name] = wanted

    def restore(self) -> None:
        self.use_watchlist([])
        self.use_lookups({})

    # -- one case --------------------------------------------------------------------------------------------------
    def run_case(self, live: LiveCase, spl: Optional[str], times: Window) -> Outcome:
        outcome = Outcome(live.label, live.source, "ok")
        reference = live.reference()
        outcome.reference = reference
        expected_ids = live.case.expected()
        if sorted(sorted(Engine.ids(alert)) for alert in reference) != expected_ids:
            outcome.notes.append("the reference engine's alerts differ from tests.yml's expect (see tests/detections)")
        if spl is None:
            outcome.status = "error"
            outcome.details.append(f"the installed app has no saved search {live.detection.name!r}")
            return outcome
        try:
            self.splunk.set_macro(self.app, "auth0_index", macro_definition(self.index, live.source))
            self.use_watchlist(live.case.watchlist)
            self.use_lookups(live.case.lookups)
            rows, messages = self.splunk.oneshot(self.app, search_text(spl), **times.params())
        except SplunkError as error:
            outcome.status = "error"
            outcome.details.append(str(error))
            return outcome
        outcome.splunk = rows
        errors = [m for m in messages if str(m.get("type", "")).upper() in ("ERROR", "FATAL")]
        if errors:
            outcome.status = "error"
            outcome.details += [f"splunkd: {m.get('type')}: {m.get('text')}" for m in errors]
            return outcome
        outcome.details = compare.compare(reference, rows, live.detection.is_inventory)
        if outcome.details:
            outcome.status = "mismatch"
        return outcome

    def run(self, planned: List[LiveCase], first_event: float, started: float, ended: float) -> List[Outcome]:
        times = window(first_event, started, ended)
        searches = self.splunk.saved_searches(self.app)
        outcomes = []
        for live in planned:
            outcome = self.run_case(live, searches.get(live.detection.name), times)
            marker = {"ok": "ok", "mismatch": "DIFF", "error": "ERROR"}[outcome.status]
            self.say(f"  {marker:5s} {outcome.label}")
            for line in outcome.details:
                self.say(f"        {line}")
            outcomes.append(outcome)
        self.restore()
        return outcomes
