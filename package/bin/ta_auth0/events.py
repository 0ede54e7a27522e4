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
import re
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple
from xml.sax.saxutils import escape

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


_decoder = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def parse_log_page(content: bytes) -> Any:
    """A page of ``GET /api/v2/logs``: a list of ``(log, raw JSON text of that log)``, decoded once.

    Keeping each log's own text lets the envelope reuse it instead of encoding the log again.
    A body that is not a JSON array is returned as parsed (the caller rejects its shape); a
    malformed body raises ValueError, as ``json.loads`` would.
    """
    text = content.decode("utf-8")
    index = _WHITESPACE.match(text, 0).end()
    if text[index : index + 1] != "[":
        return json.loads(text)
    index = _WHITESPACE.match(text, index + 1).end()
    entries: List[Tuple[Any, Optional[str]]] = []
    if text[index : index + 1] == "]":
        index += 1
    else:
        scan = _decoder.scan_once  # the C scanner behind json.loads, without raw_decode's wrapper
        skip = _WHITESPACE.match
        append = entries.append
        while True:
            try:
                value, stop = scan(text, index)
            except StopIteration:
                raise ValueError(f"malformed JSON value at character {index}") from None
            append((value, text[index:stop]))
            separator = text[stop : stop + 1]
            if separator == ",":  # compact JSON: the usual case, no regex needed
                index = stop + 1
                if text[index : index + 1] in (" ", "\n", "\r", "\t"):
                    index = skip(text, index).end()
                continue
            index = skip(text, stop).end()
            separator = text[index : index + 1]
            index = skip(text, index + 1).end()
            if separator == "]":
                break
            if separator != ",":
                raise ValueError(f"malformed JSON array at character {index}")
    if text[index:].strip():
        raise ValueError("extra data after the JSON array")
    return entries


def envelope(log: Dict[str, Any]) -> Dict[str, Any]:
    """The Log Streams envelope around ``log``, whose ``_id``/``id`` aliases of log_id are removed
    (in place: the page's dicts belong to the collector)."""
    log_id = log.get("log_id") or log.get("_id")
    if "_id" in log and log["_id"] == log_id:
        del log["_id"]
    if "id" in log and log["id"] == log_id:
        del log["id"]
    if "log_id" not in log:
        log["log_id"] = log_id
    return {"log_id": log_id, "data": log}


_DAY_CACHE: Dict[str, int] = {}


def _whole_seconds(prefix: str) -> Optional[int]:
    """UTC epoch seconds of ``YYYY-MM-DDTHH:MM:SS`` (midnight of each day is cached)."""
    if prefix[4] != "-" or prefix[7] != "-" or prefix[10] not in "T " or prefix[13] != ":" or prefix[16] != ":":
        return None
    day = prefix[:10]
    midnight = _DAY_CACHE.get(day)
    try:
        if midnight is None:
            year, month, mday = int(day[0:4]), int(day[5:7]), int(day[8:10])
            if not (1 <= month <= 12 and 1 <= mday <= 31):
                return None
            midnight = calendar.timegm((year, month, mday, 0, 0, 0, 0, 0, 0))
            if len(_DAY_CACHE) > 1024:
                _DAY_CACHE.clear()
            _DAY_CACHE[day] = midnight
        hour, minute, second = int(prefix[11:13]), int(prefix[14:16]), int(prefix[17:19])
    except ValueError:
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    return midnight + hour * 3600 + minute * 60 + second


def epoch_seconds(date_value: Any) -> Optional[str]:
    """``data.date`` (ISO 8601 UTC with milliseconds) as the ``<time>`` text, e.g. ``1741975684.365``."""
    if not isinstance(date_value, str) or len(date_value) < 19:
        return None
    whole = _whole_seconds(date_value[:19])
    if whole is None:
        return None
    rest = date_value[19:]
    if rest == "Z":
        return "%d.000" % whole
    if len(rest) == 5 and rest[0] == "." and rest[4] == "Z" and rest[1:4].isdigit():  # the usual .mmmZ
        return "%d.%s" % (whole, rest[1:4])
    millis = 0
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
    return "%d.%03d" % (whole, millis)


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

    def _data_text(self, log: Dict[str, Any], raw: Optional[str]) -> str:
        """The envelope's JSON. Fast path: the log's own text from the page, when it is certain that
        only a trailing ``_id`` alias has to go; otherwise the log is encoded again."""
        log_id = log.get("log_id")
        if raw is not None and isinstance(log_id, str) and log.get("id") != log_id:
            quoted = '"%s"' % log_id if log_id.isdigit() else self._dumps(log_id)
            if "_id" not in log:
                return '{"log_id":%s,"data":%s}' % (quoted, raw)
            if log["_id"] == log_id and raw.endswith(',"_id":%s}' % quoted):
                return '{"log_id":%s,"data":%s}}' % (quoted, raw[: -len(quoted) - 8])
        return self._dumps(envelope(log))

    def render(self, log: Dict[str, Any], raw: Optional[str] = None) -> str:
        data = self._data_text(log, raw)
        if "&" in data or "<" in data or ">" in data:
            data = escape(data)
        time_text = epoch_seconds(log.get("date"))
        if time_text is None:
            return '<event unbroken="1">%s<data>%s</data><done /></event>' % (self._head, data)
        return '<event unbroken="1"><time>%s</time>%s<data>%s</data><done /></event>' % (time_text, self._head, data)

    def _render_ascii_safe(self, log: Dict[str, Any], raw: Optional[str]) -> str:
        text = self.render(log, raw)
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

    def write_page(self, entries: Sequence[Tuple[Dict[str, Any], Optional[str]]]) -> int:
        """Write ``(log, raw text or None)`` entries and flush them to splunkd; return how many."""
        rendered = [self.render(log, raw) for log, raw in entries]
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
            self._out.write("".join(self._render_ascii_safe(log, raw) for log, raw in entries))
        self._out.flush()
        self.events_written += len(rendered)
        return len(rendered)
