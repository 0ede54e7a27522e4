"""Date helpers.  Internally every log date is an integer of UNIX milliseconds."""

import calendar
import datetime
import re
import time

_ISO_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def now_ms():
    return int(time.time() * 1000)


def _parse_iso(text):
    """Return ``(epoch_ms, has_time)`` or raise ValueError."""
    m = _ISO_RE.match(text)
    if not m:
        raise ValueError("not an ISO 8601 date: %r" % (text,))
    year, month, day, hh, mm, ss, frac, tz = m.groups()
    has_time = hh is not None
    secs = calendar.timegm((int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0), 0, 0, 0))
    ms = int((frac or "0")[:3].ljust(3, "0"))
    if tz and tz not in ("Z", "z", "UTC"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) >= 4 else 0)
        secs -= sign * offset
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ValueError("invalid date %r: %s" % (text, exc)) from None
    return secs * 1000 + ms, has_time


def parse_date(value):
    """Convert a log ``date`` (ISO string, datetime, epoch s/ms) to epoch ms."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return round(value.timestamp() * 1000)
    if isinstance(value, datetime.date):
        return calendar.timegm(value.timetuple()) * 1000
    if isinstance(value, bool):
        raise ValueError("bad date %r" % (value,))
    if isinstance(value, (int, float)):
        return int(value) if value > 1e11 else round(value * 1000)
    if isinstance(value, dict) and not value:
        raise ValueError("empty date object")
    if isinstance(value, str):
        return _parse_iso(value)[0]
    raise ValueError("bad date %r" % (value,))


def parse_date_bound(text, span=False):
    """Parse a query date.  Returns ``(lo_ms, hi_ms)``.

    With ``span`` a date without a time covers that whole UTC day and a
    timestamp covers its millisecond; ``hi`` is exclusive.
    """
    ms, has_time = _parse_iso(text)
    if not span:
        return ms, ms
    return ms, ms + (1 if has_time else 86400 * 1000)


def format_date(ms):
    """Epoch ms -> ``2025-03-15T18:08:04.365Z``."""
    sec, milli = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + ".%03dZ" % milli


def to_datetime(ms):
    return datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)


def make_log_id(prefix, index_ms, seq):
    """``prefix`` + UTC yyyyMMddHHmmss of the indexing time + 39-digit sequence."""
    return "%s%s%039d" % (prefix, time.strftime("%Y%m%d%H%M%S", time.gmtime(int(index_ms) // 1000)), seq)
