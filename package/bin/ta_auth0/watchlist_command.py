"""``| auth0watchlist``: the command's whole conversation with splunkd over SCP v2.

1. ``getinfo``: check the options, read the watchlist once (KV store, through splunkd), answer
   ``{"type": "stateful"}``. That is what splunklib answers for a StreamingCommand configured with
   ``distributed=False``: the command streams, but on the search head, where the KV store is.
2. Each ``execute`` chunk: parse the records, match them against the watchlist, append the ``watchlist_*`` columns
   (mode=filter: keep matching records only) and answer with one chunk; after the chunk marked finished, stop.

Problems reach the search as inspector messages: ERROR (and exit status 1) when the search cannot go on, WARN when
it can. A bug in this code is reported the same way, with its traceback on stderr (search.log), never to the user.
"""

import sys
import time
import traceback
from typing import Any, BinaryIO, Callable, Dict, List, Mapping, Optional, Sequence, Set, TextIO, Tuple

from . import scp
from .watchlist import (
    COMMAND,
    DEFAULT_FIELDS,
    NO_MATCH_VALUES,
    OUTPUT_FIELDS,
    SYNTAX,
    Options,
    Watchlist,
    build_watchlist,
    match_columns,
    parse_options,
)
from .watchlist_store import WatchlistUnavailable, read_for_search

#: The getinfo answer: streaming, but never distributed to indexers (splunklib: distributed=False).
GETINFO_ANSWER = {"type": "stateful"}
ADDED_COLUMNS = OUTPUT_FIELDS + tuple("__mv_" + name for name in OUTPUT_FIELDS)
_NO_MULTIVALUES = ("",) * len(OUTPUT_FIELDS)
DEFAULT_VALUES = NO_MATCH_VALUES + _NO_MULTIVALUES

Message = Tuple[str, str]
RowReader = Callable[[Mapping[str, Any]], List[Any]]


class Messages:
    """Messages waiting for the next answer; each text is shown once per search."""

    def __init__(self) -> None:
        self._pending: List[Message] = []
        self._shown: Set[str] = set()

    def add(self, level: str, text: str) -> None:
        if text not in self._shown:
            self._shown.add(text)
            self._pending.append((level, text))

    def take(self) -> List[Message]:
        pending, self._pending = self._pending, []
        return pending


class Annotator:
    """Applies one search's watchlist to each execute body."""

    def __init__(self, watchlist: Watchlist, options: Options, messages: Messages):
        self.watchlist = watchlist
        self.options = options
        self.messages = messages
        self.filter = options.mode == "filter"
        self.records_in = 0
        self.records_matched = 0
        self.fields_seen: Set[str] = set()
        # each watched field and its multivalue companion: the only columns the matcher reads
        self.columns = tuple(name for field in options.fields for name in (field, "__mv_" + field))
        self.tails: Dict[Tuple[str, ...], str] = {}

    def process(self, body: bytes) -> bytes:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # keep the bytes as they are: surrogateescape turns them back into the same bytes on the way out
            text = body.decode("utf-8", "surrogateescape")
            self.messages.add(
                "WARN",
                f"{COMMAND}: some records hold bytes that are not UTF-8 text. They pass through unchanged, "
                "but a value with such bytes cannot match a client id.",
            )
        records = scp.parse_records(text, self.columns)
        if not len(records):
            return b""
        self.records_in += len(records)
        present = set(records.fields)
        self.fields_seen.update(name for name in self.options.fields if name in present)
        names = [name for name in self.columns if name in present]
        written = [records.written_column(name) for name in names]
        if None in written:  # the general parser's values are decoded already
            columns = {name: records.column(name) for name in names}
            decode_value = None
        else:
            columns = dict(zip(names, written))
            decode_value = scp.unquote
        hits = {}
        if columns:
            hits = match_columns(columns, self.options.fields, self.watchlist, scp.decode_multivalue, decode_value)
        self.records_matched += len(hits)
        values = {row: hit.values() + _NO_MULTIVALUES for row, hit in hits.items()}
        out = scp.render_records(
            records, ADDED_COLUMNS, DEFAULT_VALUES, values, only_listed=self.filter, tail_cache=self.tails
        )
        return out.encode("utf-8", "surrogateescape")

    def finish(self) -> None:
        """Messages that need the whole search: fields that never showed up, a filter that kept nothing."""
        if not self.records_in:
            self.messages.add("INFO", f"{COMMAND}: no records reached the command (the search before it found none).")
            return
        fields = self.options.fields
        missing = [name for name in fields if name not in self.fields_seen]
        if len(missing) == len(fields):
            if self.options.fields_given:
                where = "fields named in fields= (" + ", ".join(fields) + ")"
            else:
                where = f"fields it looks at ({', '.join(DEFAULT_FIELDS[:3])} and {len(DEFAULT_FIELDS) - 3} more)"
            self.messages.add(
                "WARN",
                f"{COMMAND}: none of the {where} is in the results, so no record can match. Search auth0:logs "
                "events (JSON fields extracted), or name the fields that hold client ids with fields=.",
            )
        elif missing and self.options.fields_given:
            self.messages.add(
                "WARN",
                f"{COMMAND}: field(s) named in fields= never appeared in the results: {', '.join(missing)}.",
            )
        if self.filter and not self.records_matched:
            self.messages.add(
                "INFO",
                f"{COMMAND}: none of the {self.records_in} record(s) matched the watchlist "
                f"({len(self.watchlist)} applicable entries), so mode=filter returns nothing.",
            )


class _Conversation:
    def __init__(self, stdin: BinaryIO, stdout: BinaryIO, read_rows: RowReader, clock: Callable[[], float]):
        self.stdin = stdin
        self.stdout = stdout
        self.read_rows = read_rows
        self.clock = clock
        self.messages = Messages()
        self.answered_getinfo = False

    def answer(self, metadata: Dict[str, Any], body: bytes = b"") -> None:
        scp.write_chunk(self.stdout, scp.with_messages(metadata, self.messages.take()), body)

    def fail(self, text: str) -> int:
        """Tell the search it cannot go on: ERROR in the answer splunkd is waiting for, exit status 1."""
        self.messages.add("ERROR", text)
        try:
            if self.answered_getinfo:
                self.answer({"finished": True})
            else:
                self.answer(dict(GETINFO_ANSWER))
        except OSError:
            pass  # splunkd has gone away; nobody is left to tell
        return 1

    def run(self) -> int:
        chunk = scp.read_chunk(self.stdin)
        if chunk is None:
            return 0
        if chunk.metadata.get("action") != "getinfo":
            raise scp.ProtocolError(f"the first chunk must be getinfo, not {chunk.metadata.get('action')!r}")
        searchinfo = chunk.metadata.get("searchinfo")
        if not isinstance(searchinfo, dict):
            searchinfo = {}
        args = searchinfo.get("args")
        options, errors = parse_options(args if isinstance(args, list) else [])
        if errors:
            for error in errors:
                self.messages.add("ERROR", f"{COMMAND}: {error}")
            return self.fail(f"{COMMAND}: usage: {SYNTAX}")
        try:
            rows = self.read_rows(searchinfo)
        except WatchlistUnavailable as error:
            return self.fail(str(error))
        watchlist, warnings = build_watchlist(rows, options, now=self.clock())
        for warning in warnings:
            self.messages.add("WARN", warning)
        annotator = Annotator(watchlist, options, self.messages)
        self.answer(dict(GETINFO_ANSWER))
        self.answered_getinfo = True
        while True:
            chunk = scp.read_chunk(self.stdin)
            if chunk is None:
                return 0  # splunkd closed the input without a finished chunk: the search was stopped
            action = chunk.metadata.get("action")
            if action != "execute":
                raise scp.ProtocolError(f"expected an execute chunk, got action {action!r}")
            finished = chunk.metadata.get("finished") is True
            body = annotator.process(chunk.body)
            if finished:
                annotator.finish()
            self.answer({"finished": finished}, body)
            if finished:
                return 0


def run(
    stdin: BinaryIO,
    stdout: BinaryIO,
    read_rows: Optional[RowReader] = None,
    clock: Callable[[], float] = time.time,
    stderr: Optional[TextIO] = None,
) -> int:
    """Serve one search over ``stdin``/``stdout``; the exit status (0, or 1 when the search could not go on)."""
    conversation = _Conversation(stdin, stdout, read_rows or read_for_search, clock)
    log = stderr if stderr is not None else sys.stderr
    try:
        return conversation.run()
    except scp.ProtocolError as error:
        log.write(f"{COMMAND}: protocol error: {error}\n")
        return conversation.fail(f"{COMMAND}: splunkd's input broke the search command protocol: {error}.")
    except BrokenPipeError:
        return 1  # splunkd closed our output: the search was cancelled
    except Exception as error:
        log.write(f"{COMMAND}: internal error\n{traceback.format_exc()}")
        return conversation.fail(
            f"{COMMAND}: internal error ({type(error).__name__}: {error}). Details are in search.log; please report it."
        )


def main(argv: Sequence[str] = ()) -> int:
    if argv:
        sys.stderr.write(f"{COMMAND} speaks only the chunked search command protocol (commands.conf chunked = true)\n")
        return 2
    return run(sys.stdin.buffer, sys.stdout.buffer)
