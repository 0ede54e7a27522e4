"""Helpers for the auth0watchlist tests: splunkd's side of SCP v2, and a reader for the command's answers.

The reader does not use ``ta_auth0.scp``: answers are checked with Python's csv module, the multivalue decoder
of splunklib (the protocol's reference implementation) and a strict framing parser written here.
No ``conftest.py`` here on purpose (see tests/integration/simulator/auth0sim_helpers.py): import this module.
"""

import io
import json
import os
import re
import sys
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.path.join(ROOT, "package", "bin")
for _path in (ROOT, BIN):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import csv  # noqa: E402

from splunklib.searchcommands.search_command import SearchCommand  # noqa: E402

from ta_auth0 import watchlist_command  # noqa: E402

Value = Union[str, List[str]]
Record = Dict[str, Value]

#: Not copied into the project: read from the shared reference data beside the repository.
RECORDING = os.path.join(
    os.path.dirname(ROOT), "shared", "reference", "data", "splunkd-recordings", "multibyte_input.gz"
)
OUTPUT_FIELDS = (
    "watchlist_match", "watchlist_category", "watchlist_label", "watchlist_reason", "watchlist_field",
    "watchlist_client_id",
)  # fmt: skip

# Client ids shaped like Auth0's (32 characters; DCR strict mode adds tpc_).
CRITICAL = "MWNhMmRiOGY5MGIxNjE0ZTVmMjc0NDhl"
EXPLORER = "q1Xw9EXAMPLEapiExplorerClientId0"
M2M = "Kx9vQ2mWz7LpT4nR8bY1cD3eF5gH6jK7"
DCR = "tpc_8SXWY6j3afl2CP5ntwEOpMdPxxy49Gt2"
EXPIRED = "ZZexpiredZZexpiredZZexpiredZZ001"
DASHBOARD = "xZjM1MjUxOGVhYzYxNTAxZmE3NmI1MGIg"  # the Dashboard's Global Client: not watched
OTHER = "aI61p8I8aFjmYRliLWgvM9ev97kCCNDB"  # an ordinary application: not watched


def watchlist_rows() -> List[Dict[str, Any]]:
    """KV store documents as splunkd returns them (``_key``, ``_user`` included)."""
    return [
        {"_key": "k1", "_user": "nobody", "client_id": CRITICAL, "tenant": "acme.us.auth0.com", "category": "critical",
         "label": "Payments API client", "reason": "holds the payment provider's secret", "source": "manual",
         "added_by": "alice", "added_at": "2026-01-05T10:00:00Z", "expires_at": ""},
        {"_key": "k2", "_user": "nobody", "client_id": EXPLORER, "tenant": "acme.us.auth0.com",
         "category": "api_explorer", "label": "API Explorer Application", "reason": "all Management API scopes",
         "source": "inventory", "added_by": "watchlist fill", "added_at": "2026-01-06T00:00:00Z", "expires_at": ""},
        {"_key": "k3", "_user": "nobody", "client_id": M2M, "tenant": "beta.eu.auth0.com", "category": "privileged_m2m",
         "label": "Terraform", "reason": "update:clients, delete:clients", "source": "inventory",
         "added_by": "watchlist fill", "added_at": "2026-01-06T00:00:00Z", "expires_at": "2999-01-01"},
        {"_key": "k4", "_user": "nobody", "client_id": DCR, "tenant": "", "category": "dcr",
         "label": "My Dynamic Application", "reason": "registered dynamically", "source": "inventory",
         "added_by": "watchlist fill", "added_at": "1767225600", "expires_at": ""},
        {"_key": "k5", "_user": "nobody", "client_id": EXPIRED, "tenant": "acme.us.auth0.com", "category": "custom",
         "label": "Old vendor", "reason": "contract ended", "source": "manual", "added_by": "bob",
         "added_at": "2025-01-01", "expires_at": "2025-06-30T00:00:00Z"},
    ]  # fmt: skip


# --- splunkd's side --------------------------------------------------------------------------------------------------


def chunk(metadata: Dict[str, Any], body: bytes = b"") -> bytes:
    encoded = json.dumps(metadata).encode("utf-8")
    return b"chunked 1.0,%d,%d\n%s%s" % (len(encoded), len(body), encoded, body)


def searchinfo(args: Sequence[str] = (), **overrides: Any) -> Dict[str, Any]:
    """The getinfo searchinfo of splunkd 9.x (fields as in splunklib's tests and real recordings)."""
    info = {
        "args": list(args), "raw_args": list(args), "dispatch_dir": "/opt/splunk/var/run/splunk/dispatch/17.1",
        "sid": "1767225600.1", "app": "search", "owner": "admin", "username": "admin",
        "session_key": "s3ss10n-k3y", "splunkd_uri": "https://127.0.0.1:8089", "splunk_version": "9.3.2",
        "search": "search%20index%3Dauth0%20%7C%20auth0watchlist", "command": "auth0watchlist",
        "maxresultrows": 50000, "earliest_time": "0", "latest_time": "0",
    }  # fmt: skip
    info.update(overrides)
    return info


def getinfo(args: Sequence[str] = (), **overrides: Any) -> bytes:
    return chunk(
        {"action": "getinfo", "preview": False, "streaming_command_will_restart": False,
         "searchinfo": searchinfo(args, **overrides)}
    )  # fmt: skip


def execute(body: bytes, finished: bool = False) -> bytes:
    return chunk({"action": "execute", "finished": finished}, body)


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if value else ""


def splunkd_body(records: Sequence[Record], fields: Optional[Sequence[str]] = None, newline: str = "\n") -> bytes:
    """CSV as splunkd writes it: every field and its __mv_ companion, non-empty values quoted."""
    if fields is None:
        fields = list(dict.fromkeys(name for record in records for name in record))
    lines = [",".join(_quoted(name) for name in list(fields) + ["__mv_" + name for name in fields])]
    for record in records:
        plain, multi = [], []
        for name in fields:
            value = record.get(name, "")
            if isinstance(value, list):
                plain.append(_quoted("\n".join(value)))
                encoded = ";".join("$" + v.replace("$", "$$") + "$" for v in value)
                multi.append(_quoted(encoded) if len(value) > 1 else "")
            else:
                plain.append(_quoted(value))
                multi.append("")
        lines.append(",".join(plain + multi))
    return (newline.join(lines) + newline).encode("utf-8")


def conversation(args: Sequence[str], bodies: Sequence[bytes], **overrides: Any) -> bytes:
    """getinfo, then one execute chunk per body; the last one finished."""
    data = [getinfo(args, **overrides)]
    data += [execute(body, finished=i == len(bodies) - 1) for i, body in enumerate(bodies)]
    return b"".join(data)


# --- the command's side ----------------------------------------------------------------------------------------------

_HEADER = re.compile(rb"chunked 1\.0,(\d+),(\d+)\n")


def read_answers(data: bytes) -> List[Tuple[Dict[str, Any], bytes]]:
    """Strictly framed chunks: every header exact, every length in bytes, nothing left over."""
    answers = []
    position = 0
    while position < len(data):
        match = _HEADER.match(data, position)
        assert match, f"bad chunk header at byte {position}: {data[position : position + 60]!r}"
        metadata_length, body_length = int(match.group(1)), int(match.group(2))
        start = match.end()
        assert start + metadata_length + body_length <= len(data), "chunk longer than the output"
        metadata = json.loads(data[start : start + metadata_length].decode("utf-8"))
        assert isinstance(metadata, dict)
        answers.append((metadata, data[start + metadata_length : start + metadata_length + body_length]))
        position = start + metadata_length + body_length
    return answers


def records_of(body: bytes, encoding_errors: str = "strict") -> Tuple[List[str], List[Record]]:
    """(column names, records) of an answer body; a multivalue field comes back as a list."""
    if not body:
        return [], []
    reader = csv.reader(io.StringIO(body.decode("utf-8", encoding_errors), newline=""))
    header = next(reader)
    assert len(header) == len(set(header)), f"duplicate columns: {header}"
    records = []
    for row in reader:
        assert len(row) == len(header), f"ragged row: {row}"
        raw = dict(zip(header, row))
        record: Record = {}
        for name in header:
            if name.startswith("__mv_"):
                continue
            encoded = raw.get("__mv_" + name, "")
            record[name] = SearchCommand._decode_list(encoded) if encoded else raw[name]
        records.append(record)
    return header, records


def splunklib_process(command: Any, data: bytes) -> bytes:
    """Run a splunklib search command over ``data`` in process; its answers.

    splunklib points ``tempfile.tempdir`` at the search's dispatch directory; that is put back afterwards.
    """
    saved = tempfile.tempdir
    out = io.BytesIO()
    try:
        command.process([command.__class__.__name__.lower()], io.BytesIO(data), out)
    finally:
        tempfile.tempdir = saved
    return out.getvalue()


def messages(metadata: Dict[str, Any]) -> List[Tuple[str, str]]:
    return [tuple(m) for m in metadata.get("inspector", {}).get("messages", [])]


class Run:
    """One in-process run of the command: exit status, answers, stderr, and how often the watchlist was read."""

    def __init__(self, data: bytes, rows: Any = None, reader: Any = None, clock: Any = None):
        self.reads = 0
        documents = watchlist_rows() if rows is None else rows

        def read(info: Dict[str, Any]) -> Any:
            self.reads += 1
            self.searchinfo = info
            return reader(info) if reader is not None else documents

        out = io.BytesIO()
        err = io.StringIO()
        kwargs = {"clock": clock} if clock is not None else {}
        self.status = watchlist_command.run(io.BytesIO(data), out, read_rows=read, stderr=err, **kwargs)
        self.output = out.getvalue()
        self.stderr = err.getvalue()
        self.answers = read_answers(self.output)

    @property
    def getinfo_answer(self) -> Dict[str, Any]:
        return self.answers[0][0]

    def records(self) -> List[Record]:
        found: List[Record] = []
        for _, body in self.answers[1:]:
            found += records_of(body)[1]
        return found

    def all_messages(self) -> List[Tuple[str, str]]:
        return [m for metadata, _ in self.answers for m in messages(metadata)]
