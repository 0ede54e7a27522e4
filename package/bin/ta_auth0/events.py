"""Auth0 logs as Splunk events: the Log Streams envelope, its time, and fast XML output.

Each log is written as ``{"log_id": <id>, "data": <log>}``, exactly what Auth0 Log Streams deliver,
so pulled and pushed logs look alike. The API repeats ``log_id`` as ``_id`` (and sometimes ``id``);
streams do not, so those aliases are dropped when they equal ``log_id``.

:class:`EventSink` writes a whole page of events to the modular-input stream in one write and one
flush, producing the same ``<event>`` elements as splunklib's ``Event.write_to`` (one complete,
unbroken event each) without building an ElementTree per event, which dominated ingest time. Text
is written as UTF-8 rather than as ``&#NNN;`` references; both mean the same to splunkd's parser.
"""

import calendar
import json
from datetime import datetime
from typing import Any, Dict, Iterable, Optional
from xml.sax.saxutils import escape

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def envelope(log: Dict[str, Any]) -> Dict[str, Any]:
    log_id = log.get("log_id") or log.get("_id")
    data = log
    if "_id" in log or "id" in log:
        data = {k: v for k, v in log.items() if not (k in ("_id", "id") and v == log_id)}
        if "log_id" not in data:
            data["log_id"] = log_id
    return {"log_id": log_id, "data": data}


def epoch_seconds(date_value: Any) -> Optional[str]:
    """``data.date`` (ISO 8601 UTC with milliseconds) as the ``<time>`` text, e.g. ``1741975684.365``."""
    if not isinstance(date_value, str) or len(date_value) < 19:
        return None
    try:
        whole = datetime.strptime(date_value[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    millis = 0
    rest = date_value[19:]
    if rest.startswith("."):
        digits = ""
        for ch in rest[1:]:
            if not ch.isdigit():
                break
            digits += ch
        millis = int((digits + "000")[:3]) if digits else 0
        rest = rest[1 + len(digits) :]
    if rest not in ("Z", "", "+00:00", "+0000"):
        try:
            parsed = datetime.fromisoformat(date_value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return "%.3f" % parsed.timestamp()
    return "%d.%03d" % (calendar.timegm(whole.timetuple()), millis)


class EventSink:
    """Writes events to a splunklib ``EventWriter``'s output stream, page by page."""

    def __init__(self, event_writer: Any, index: Optional[str], host: str, source: str, sourcetype: str):
        self.event_writer = event_writer
        self._out = event_writer._out  # splunklib keeps the stream here; see the module docstring
        head = ""
        if source is not None:
            head += "<source>%s</source>" % escape(source)
        head += "<sourcetype>%s</sourcetype>" % escape(sourcetype)
        if index:
            head += "<index>%s</index>" % escape(index)
        if host is not None:
            head += "<host>%s</host>" % escape(host)
        self._head = head
        self.events_written = 0
        self._dumps = _dumps

    def render(self, log: Dict[str, Any]) -> str:
        data = escape(self._dumps(envelope(log)))
        time_text = epoch_seconds(log.get("date"))
        if time_text is None:
            return '<event unbroken="1">%s<data>%s</data><done /></event>' % (self._head, data)
        return '<event unbroken="1"><time>%s</time>%s<data>%s</data><done /></event>' % (time_text, self._head, data)

    def _render_ascii_safe(self, log: Dict[str, Any]) -> str:
        text = self.render(log)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            saved = self._dumps
            self._dumps = _dumps_ascii
            try:
                text = self.render(log)
            finally:
                self._dumps = saved
        return text

    def write_page(self, logs: Iterable[Dict[str, Any]]) -> int:
        """Write the logs and flush them to splunkd; return how many were written."""
        logs_list = logs if isinstance(logs, list) else list(logs)
        rendered = [self.render(log) for log in logs_list]
        if not rendered:
            return 0
        if not self.event_writer.header_written:
            self._out.write("<stream>")
            self.event_writer.header_written = True
        text = "".join(rendered)
        try:
            self._out.write(text)
        except UnicodeEncodeError:
            # A lone surrogate (from a \ud8xx escape in Auth0's JSON) cannot be written as UTF-8;
            # such a log is written with JSON escapes instead of being lost.
            self._out.write("".join(self._render_ascii_safe(log) for log in logs_list))
        self._out.flush()
        self.events_written += len(rendered)
        return len(rendered)
