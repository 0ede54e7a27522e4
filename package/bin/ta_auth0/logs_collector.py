"""Collects one tenant's logs: where to start, pages in log_id order, checkpoint after each flush.

Delivery is at-least-once. A page is written and flushed to splunkd before the checkpoint moves past
it, so a crash re-sends at most the page in flight; within a run, a log_id at or below the last one
delivered is dropped.
"""

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, FrozenSet, List, Optional, Tuple
from urllib.parse import parse_qs, urlparse

from .client import Auth0Client
from .errors import DeadlineReached, InvalidResponseError
from .events import EventSink, parse_log_page

LOGS_PATH = "/api/v2/logs"
PAGE_SIZE = 100  # Auth0's maximum for take and per_page
START_NOW = "now"
START_EARLIEST = "earliest"
START_DAYS_BACK = "days_back"
#: Checkpoints younger than this cannot have fallen out of any plan's retention (Starter keeps 1 day).
_MIN_RETENTION = timedelta(days=1)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def parse_iso(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def log_id_time(log_id: str) -> Optional[datetime]:
    """The UTC indexing time embedded in a 56-digit Auth0 log_id (digits 4-17), if it has one."""
    if len(log_id) < 17 or not log_id.isdigit():
        return None
    try:
        return datetime.strptime(log_id[3:17], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


class CollectorOptions:
    def __init__(
        self,
        start_from: str = START_DAYS_BACK,
        days_back: int = 1,
        categories: Optional[FrozenSet[str]] = None,
        time_budget: float = 240.0,
        page_size: int = PAGE_SIZE,
    ):
        if start_from not in (START_NOW, START_EARLIEST, START_DAYS_BACK):
            raise ValueError(f"unknown start point {start_from!r}")
        self.start_from = start_from
        self.days_back = days_back
        self.categories = categories or None
        self.time_budget = time_budget
        self.page_size = page_size


class RunSummary:
    def __init__(self) -> None:
        self.events_written = 0
        self.logs_filtered = 0
        self.pages = 0
        self.duplicates_dropped = 0
        self.last_log_id: Optional[str] = None
        self.stopped_because = "caught up"
        self.gap_warning: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


class LogsCollector:
    def __init__(
        self,
        client: Auth0Client,
        store: Any,
        sink: EventSink,
        options: CollectorOptions,
        logger: Optional[logging.Logger] = None,
        type_categories: Optional[Dict[str, str]] = None,
        clock=time.time,
    ):
        self.client = client
        self.store = store
        self.sink = sink
        self.options = options
        self.logger = logger or logging.getLogger("ta_auth0.logs")
        self.type_categories = type_categories or {}
        self.clock = clock

    # -- Management API calls ------------------------------------------------------------------
    def fetch_page(self, from_id: str, next_url: Optional[str]) -> Tuple[List[Tuple[Any, str]], Optional[str]]:
        """One checkpoint-mode page after ``from_id``: ((log, its JSON text) pairs, the Link rel=next URL)."""
        # Follow Link rel=next when it continues exactly after this checkpoint on this tenant's host;
        # otherwise ask for the same page by parameters.
        follow = (
            next_url is not None
            and next_url.startswith(self.client.base_url + "/")
            and parse_qs(urlparse(next_url).query).get("from") == [from_id]
        )
        if follow:
            response = self.client.get(LOGS_PATH, url=next_url, parse=parse_log_page)
        else:
            params = {"from": from_id, "take": self.options.page_size}
            response = self.client.get(LOGS_PATH, params, parse=parse_log_page)
        if not isinstance(response.body, list):
            raise InvalidResponseError(
                f"Auth0 answered GET {LOGS_PATH} on {self.client.domain} with a {type(response.body).__name__}, "
                "not a list of logs; nothing was written and the checkpoint is unchanged."
            )
        return response.body, response.next_url

    def search_oldest(self, since: Optional[datetime]) -> List[Any]:
        """Search mode, oldest first: up to one page of logs at or after ``since`` (all retained if None)."""
        params: Dict[str, Any] = {"sort": "date:1", "per_page": self.options.page_size, "page": 0}
        if since is not None:
            params["q"] = f"date:[{utc_iso(since)} TO *]"
        body = self.client.get(LOGS_PATH, params).body
        if not isinstance(body, list):
            raise InvalidResponseError(f"Auth0 log search on {self.client.domain} did not return a list.")
        return [log for log in body if isinstance(log, dict) and isinstance(log.get("log_id"), str)]

    def search_newest(self) -> List[Any]:
        body = self.client.get(LOGS_PATH, {"sort": "date:-1", "per_page": self.options.page_size, "page": 0}).body
        if not isinstance(body, list):
            raise InvalidResponseError(f"Auth0 log search on {self.client.domain} did not return a list.")
        return [log for log in body if isinstance(log, dict) and isinstance(log.get("log_id"), str)]

    # -- decisions -----------------------------------------------------------------------------
    def _state(self, log_id: str, log_date: Optional[str]) -> Dict[str, Any]:
        return {
            "log_id": log_id,
            "log_date": log_date,
            "updated_at": utc_iso(datetime.fromtimestamp(self.clock(), timezone.utc)),
            "version": 1,
        }

    def _pending_state(self, since: Optional[datetime]) -> Dict[str, Any]:
        return {
            "log_id": None,
            "seek_since": utc_iso(since) if since else None,
            "updated_at": utc_iso(datetime.fromtimestamp(self.clock(), timezone.utc)),
            "version": 1,
        }

    def _wanted(self, log: Dict[str, Any]) -> bool:
        if self.options.categories is None:
            return True
        category = self.type_categories.get(str(log.get("type")), "other")
        return category in self.options.categories

    def start_point(self, state: Optional[Dict[str, Any]], summary: RunSummary) -> Optional[str]:
        """The log_id to continue after. On a first run (or a pending start) find the first log
        and deliver that log itself."""
        if state is not None and state.get("log_id"):
            return state["log_id"]
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        if state is not None:  # a start point saved by an earlier run that found no logs yet
            since = parse_iso(state.get("seek_since"))
        elif self.options.start_from == START_NOW:
            newest = self.search_newest()
            if newest:
                latest = max(newest, key=lambda log: log["log_id"])
                self.store.save(self._state(latest["log_id"], latest.get("date")))
                self.logger.info("First run starts after the newest log %s", latest["log_id"])
                return latest["log_id"]
            since = now
        elif self.options.start_from == START_EARLIEST:
            since = None
        else:
            since = now - timedelta(days=self.options.days_back)
        found = self.search_oldest(since)
        if not found:
            self.store.save(self._pending_state(since))
            self.logger.info("No logs yet since %s; the next run looks again", utc_iso(since) if since else "the start")
            return None
        # Logs are ordered by log_id, not date: start at the lowest id among the earliest logs.
        first = min(found, key=lambda log: log["log_id"])
        if self._wanted(first):
            summary.events_written += self.sink.write_page([(first, None)])
        else:
            summary.logs_filtered += 1
        self.store.save(self._state(first["log_id"], first.get("date")))
        summary.last_log_id = first["log_id"]
        self.logger.info("First run starts at log %s (%s)", first["log_id"], first.get("date"))
        return first["log_id"]

    def check_gap(self, state_log_id: str, state_log_date: Optional[str]) -> Optional[str]:
        """Warn when the checkpoint is older than the oldest log Auth0 still retains."""
        checkpoint_time = parse_iso(state_log_date) or log_id_time(state_log_id)
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        if checkpoint_time is None or now - checkpoint_time < _MIN_RETENTION:
            return None
        oldest = self.search_oldest(None)
        oldest_time = min((parse_iso(log.get("date")) or now for log in oldest), default=None)
        if oldest_time is None or oldest_time <= checkpoint_time:
            return None
        hole = oldest_time - checkpoint_time
        return (
            f"Possible gap in Auth0 logs for {self.client.domain}: the checkpoint (log {state_log_id}, "
            f"{utc_iso(checkpoint_time)}) is older than the oldest log Auth0 still retains ({utc_iso(oldest_time)}). "
            f"Up to {hole.total_seconds() / 3600:.1f} hours of logs may have been purged before collection. "
            "Run the input more often than the plan's log retention, or use Auth0 Log Streams."
        )

    # -- the run -------------------------------------------------------------------------------
    def run(self) -> RunSummary:
        summary = RunSummary()
        started = self.clock()
        self.client.deadline = started + self.options.time_budget
        try:
            state = self.store.load()
            from_id = self.start_point(state, summary)
            if from_id is None:
                summary.stopped_because = "no logs yet"
                return summary
            if state is not None and state.get("log_id"):
                summary.gap_warning = self.check_gap(state["log_id"], state.get("log_date"))
                if summary.gap_warning:
                    self.logger.warning(summary.gap_warning)
            next_url: Optional[str] = None
            while True:
                if self.clock() >= self.client.deadline:
                    summary.stopped_because = "time budget"
                    break
                page, next_url = self.fetch_page(from_id, next_url)
                summary.pages += 1
                if not page:
                    break
                from_id, page_date = self._deliver(page, from_id, summary)
                self.store.save(self._state(from_id, page_date))
                summary.last_log_id = from_id
                if len(page) < self.options.page_size:
                    break  # the head of the log: more arrives later
        except DeadlineReached as reached:
            summary.stopped_because = "time budget"
            self.logger.info("Stopping for this interval: %s", reached)
        return summary

    def _deliver(self, page: List[Tuple[Any, str]], last_id: str, summary: RunSummary) -> Tuple[str, Optional[str]]:
        """Write a page's new logs in log_id order, flushed; return the checkpoint it reaches (id, date)."""
        with_id = []
        deliver: List[Tuple[Any, Optional[str]]] = []
        for position, (log, raw) in enumerate(page):
            log_id = log.get("log_id") if isinstance(log, dict) else None
            if isinstance(log_id, str) and log_id:
                with_id.append((log_id, log, raw))
                continue
            # Never dropped: written for an analyst to see, and logged so the admin knows.
            self.logger.error(
                "Auth0 log #%d of a page from %s has no log_id; it is written as it came: %.200r",
                position,
                self.client.domain,
                log,
            )
            deliver.append((log, raw) if isinstance(log, dict) else ({"log_id": None, "value": log}, None))
        with_id.sort(key=lambda entry: entry[0])
        newest_id, newest_date = last_id, None
        for log_id, log, raw in with_id:
            if log_id <= newest_id:
                summary.duplicates_dropped += 1
                continue
            newest_id, newest_date = log_id, log.get("date")
            if self._wanted(log):
                deliver.append((log, raw))
            else:
                summary.logs_filtered += 1
        summary.events_written += self.sink.write_page(deliver)
        return newest_id, newest_date
