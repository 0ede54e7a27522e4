"""Search Command Protocol v2 ("chunked 1.0"): message framing and the CSV record bodies splunkd exchanges.

Wire facts this module relies on (splunk-sdk-python 2.1.1 ``searchcommands``; a splunkd 8.0.3 recording):

- Every message is ``chunked 1.0,<metadata length>,<body length>\\n`` followed by the JSON metadata and the body.
  Both lengths count bytes, not characters.
- splunkd sends one ``getinfo`` message (options in ``searchinfo.args``, plus ``session_key`` and ``splunkd_uri``),
  then ``execute`` messages. The command answers every message with exactly one message; the last execute
  message says ``"finished": true`` and so does the answer to it.
- A body is CSV: a header row, then one row per record. Every field ``X`` has a companion column ``__mv_X``: empty
  for a single value; for several values ``X`` holds them joined by newlines and ``__mv_X`` holds ``$v1$;$v2$``
  (each ``$`` inside a value doubled). A quoted value may therefore span lines.
- Messages for the search travel in the answer's metadata: ``{"inspector": {"messages": [["WARN", text], ...]}}``
  with levels DEBUG, INFO, WARN, ERROR.

A streaming command that only appends columns need not take every record apart and rebuild it: ``parse_records``
finds each record's text exactly as splunkd wrote it (one regular-expression pass over the body, which also cuts out
the few columns the command reads), and ``render_records`` appends the new columns to that text. Anything irregular
(ragged rows, malformed quoting, a record that already has one of the new columns) takes the general path: the csv
module parses the body and every record is written anew.
"""

import csv
import functools
import io
import json
import re
import sys
from operator import itemgetter
from typing import Any, BinaryIO, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

# A single value may be as large as a whole chunk (splunklib caps it at 10 MB and fails beyond that).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_HEADER = re.compile(rb"chunked\s+1\.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n")
_MAX_HEADER = 128
_MV_VALUE = re.compile(r"\$((?:[^$]|\$\$)*)\$(?:;|\Z)")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
_OUTPUT_NEWLINE = "\r\n"  # splunklib's record terminator: a lone CR inside a value is then always quoted


class ProtocolError(Exception):
    """splunkd's side of the conversation is not what SCP v2 says it is."""


class Chunk(NamedTuple):
    metadata: Dict[str, Any]
    body: bytes


def _read_exactly(stream: BinaryIO, size: int, what: str) -> bytes:
    data = stream.read(size) if size else b""
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            raise ProtocolError(f"the input ended inside a chunk's {what}: {len(data)} of {size} bytes arrived")
        data += more
    return data


def read_chunk(stream: BinaryIO) -> Optional[Chunk]:
    """The next message, or None at the end of the input."""
    header = stream.readline(_MAX_HEADER)
    if not header:
        return None
    match = _HEADER.fullmatch(header)
    if match is None:
        raise ProtocolError(f"expected a 'chunked 1.0,<metadata length>,<body length>' header, got {header[:60]!r}")
    metadata_length, body_length = int(match.group(1)), int(match.group(2))
    raw_metadata = _read_exactly(stream, metadata_length, "metadata")
    body = _read_exactly(stream, body_length, "body")
    try:
        metadata = json.loads(raw_metadata.decode("utf-8")) if raw_metadata else {}
    except ValueError as error:
        raise ProtocolError(f"a chunk's metadata is not JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise ProtocolError("a chunk's metadata is not a JSON object")
    return Chunk(metadata, body)


def write_chunk(stream: BinaryIO, metadata: Dict[str, Any], body: bytes = b"") -> None:
    encoded = json.dumps(metadata, separators=(",", ":")).encode("utf-8")
    stream.write(b"chunked 1.0,%d,%d\n" % (len(encoded), len(body)))
    stream.write(encoded)
    if body:
        stream.write(body)
    stream.flush()


def with_messages(metadata: Dict[str, Any], messages: Sequence[Tuple[str, str]]) -> Dict[str, Any]:
    """``metadata`` plus the inspector messages splunkd shows with the search results."""
    if messages:
        metadata = dict(metadata, inspector={"messages": [[level, text] for level, text in messages]})
    return metadata


# --- multivalue encoding -------------------------------------------------------------------------------------------


def decode_multivalue(encoded: str) -> List[str]:
    """``$a$;$b$$c$`` -> ``["a", "b$c"]``."""
    return [match.group(1).replace("$$", "$") for match in _MV_VALUE.finditer(encoded)]


def encode_multivalue(values: Iterable[str]) -> str:
    return ";".join("$" + value.replace("$", "$$") + "$" for value in values)


def quote(value: str) -> str:
    """One CSV value, quoted only when it has to be (as Python's csv.QUOTE_MINIMAL does)."""
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


# --- record bodies ---------------------------------------------------------------------------------------------------

# One CSV value as splunkd writes it: quoted (a quote inside doubled; newlines allowed) or bare.
_VALUE = r'"[^"]*(?:""[^"]*)*"|[^,"\r\n]*'


@functools.lru_cache(maxsize=64)
def _record_pattern(width: int, captured: Tuple[int, ...], newline: str) -> "re.Pattern[str]":
    """A whole record of ``width`` values and its terminator; group 1 is the record's text, then one group for each
    position in ``captured``, holding that value as written (quotes included)."""
    values = [("(" if position in captured else "(?:") + _VALUE + ")" for position in range(width)]
    return re.compile("(" + ",".join(values) + ")" + re.escape(newline))


def unquote(raw: str) -> str:
    """A CSV value as written -> the value."""
    if raw[:1] == '"':
        return raw[1:-1].replace('""', '"')
    return raw


class Records:
    """One body's records: the column names, each record's text exactly as splunkd wrote it, and its values.

    ``texts`` is None when the body needed the general parser; ``rows`` (parsed values, padded to the header's
    width) are then always there, and otherwise parsed on first use. ``column(name)`` is cheap for the columns
    named when the body was parsed: they are cut out of the records in the same pass that finds them.
    """

    __slots__ = ("_raw_columns", "_rows", "fields", "header_text", "newline", "texts")

    def __init__(
        self,
        fields: List[str],
        rows: Optional[List[List[str]]] = None,
        header_text: Optional[str] = None,
        texts: Optional[List[str]] = None,
        newline: str = "\n",
        raw_columns: Optional[Dict[str, List[str]]] = None,
    ):
        self.fields = fields
        self._rows = rows
        self.header_text = header_text
        self.texts = texts
        self.newline = newline
        self._raw_columns = raw_columns or {}

    def __len__(self) -> int:
        return len(self.texts) if self.texts is not None else len(self._rows or ())

    @property
    def rows(self) -> List[List[str]]:
        if self._rows is None:
            width = len(self.fields)
            parsed = csv.reader(t.replace("\x00", "") for t in self.texts or ())
            self._rows = [row if len(row) == width else (row + [""] * width)[:width] for row in parsed]
        return self._rows

    def written_column(self, name: str) -> Optional[List[str]]:
        """Every record's value of ``name`` as the body writes it (``unquote`` decodes one), when ``name`` was one
        of the columns given to ``parse_records`` and the body took the fast path; None otherwise."""
        return self._raw_columns.get(name)

    def column(self, name: str) -> Optional[List[str]]:
        """Every record's value of ``name``, or None when the body has no such column."""
        raw = self._raw_columns.get(name)
        if raw is not None:
            decoded = {value: unquote(value) for value in set(raw) if value[:1] == '"'}
            return list(map(decoded.get, raw, raw)) if decoded else raw
        try:
            index = self.fields.index(name)
        except ValueError:
            return None
        return list(map(itemgetter(index), self.rows))


def _parse_general(text: str) -> Records:
    reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""))
    fields = next(reader, [])
    width = len(fields)
    rows = []
    for values in reader:
        if values:  # a blank line is no record
            rows.append(values if len(values) == width else (values + [""] * width)[:width])
    return Records(fields, rows)


def parse_records(text: str, columns: Sequence[str] = ()) -> Records:
    """Parse one execute body (already decoded); ``columns`` are the ones ``column()`` will be asked for."""
    if not text:
        return Records([], [])
    first_newline = text.find("\n")
    if first_newline < 0:
        return _parse_general(text)
    newline = "\r\n" if first_newline > 0 and text[first_newline - 1] == "\r" else "\n"
    header_text = text[: first_newline + 1 - len(newline)]
    body = text[first_newline + 1 :]
    fields = next(csv.reader([header_text]), [])
    if not fields:
        return _parse_general(text)
    if not body:
        return Records(fields, [], header_text, [], newline, {name: [] for name in columns if name in fields})
    if not body.endswith(newline):
        body += newline
    positions = {name: fields.index(name) for name in columns if name in fields}
    captured = tuple(sorted(set(positions.values())))
    found = _record_pattern(len(fields), captured, newline).findall(body)
    texts = list(map(itemgetter(0), found)) if captured else found
    # findall skips what does not match: the records must cover the body exactly, or the general parser decides
    if sum(map(len, texts)) + len(texts) * len(newline) != len(body):
        return _parse_general(text)
    group = {position: number for number, position in enumerate(captured, start=1)}
    raw_columns = {name: list(map(itemgetter(group[position]), found)) for name, position in positions.items()}
    return Records(fields, None, header_text, texts, newline, raw_columns)


def render_records(
    records: Records,
    added: Sequence[str],
    default: Sequence[str],
    values: Dict[int, Sequence[str]],
    only_listed: bool = False,
    tail_cache: Optional[Dict[Tuple[str, ...], str]] = None,
) -> str:
    """The body to send back: every record (or only those in ``values``) with the columns ``added`` appended.

    Record ``i`` gets ``values[i]`` when listed, else ``default``; ``added`` names the new columns and must
    include their ``__mv_`` companions (values for those are usually empty). A record keeps its original text
    when it has one and none of the ``added`` columns exists already; otherwise every record is re-written.
    ``tail_cache`` keeps the encoded appended values from one body to the next.
    """
    if not records.fields:
        return ""
    indexes = sorted(values) if only_listed else range(len(records))
    if not indexes:
        return ""
    clashes = [name for name in added if name in records.fields]
    if records.texts is not None and not clashes:
        tails = {} if tail_cache is None else tail_cache
        return _render_appending(records, added, default, values, indexes, only_listed, tails)
    return _render_rewriting(records, added, default, values, indexes)


def _tail(row_values: Sequence[str]) -> str:
    return "," + ",".join(map(quote, row_values))


def _render_appending(
    records: Records,
    added: Sequence[str],
    default: Sequence[str],
    values: Dict[int, Sequence[str]],
    indexes: Iterable[int],
    only_listed: bool,
    tails: Dict[Tuple[str, ...], str],
) -> str:
    texts = records.texts
    assert texts is not None
    newline = records.newline
    header = (records.header_text or "") + _tail(added)

    def tail_of(row_values: Sequence[str]) -> str:
        key = tuple(row_values)
        found = tails.get(key)
        if found is None:
            found = tails[key] = _tail(key)
        return found

    if only_listed:
        parts = [header]
        parts.extend(texts[i] + tail_of(values[i]) for i in indexes)
        parts.append("")
        return newline.join(parts)
    # Every record gets the default tail in one join; records with their own values are spliced in between.
    between = tail_of(default) + newline
    out = [header, newline]
    start = 0
    for i in sorted(values):
        if i > start:
            out += (between.join(texts[start:i]), between)
        out += (texts[i], tail_of(values[i]), newline)
        start = i + 1
    if start < len(texts):
        out += (between.join(texts[start:]), between)
    return "".join(out)


def _render_rewriting(
    records: Records,
    added: Sequence[str],
    default: Sequence[str],
    values: Dict[int, Sequence[str]],
    indexes: Iterable[int],
) -> str:
    added_set = set(added)
    keep = [i for i, name in enumerate(records.fields) if name not in added_set]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=_OUTPUT_NEWLINE)
    writer.writerow([records.fields[i] for i in keep] + list(added))
    rows = records.rows
    default = list(default)
    for i in indexes:
        row = rows[i]
        writer.writerow([row[k] for k in keep] + list(values.get(i, default)))
    return buffer.getvalue()
