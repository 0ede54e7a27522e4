"""Auth0 Log Streams envelopes as Splunk sees them (``KV_MODE = json``), stored in a SQLite table.

Field names are Splunk's: nested keys joined with ``.``, arrays marked ``{}`` (``data.details.accessedSecrets{}``),
objects inside arrays ``data.details.response.body{}.connection``. JSON ``true``/``false`` become the strings
``"true"``/``"false"`` as in Splunk; numbers keep their type; ``null`` and empty arrays give no field.

In the table a field whose name contains ``{}`` holds a JSON array of all its values (Splunk's multivalue field);
:class:`tools.detections.backends.Auth0SQLiteBackend` compares such columns element by element, so a condition
is true when any value matches, as in Splunk. Every column is ``COLLATE NOCASE`` (Sigma and Splunk compare values
case-insensitively) and has no type affinity (a number stays a number, a string a string). ``_time`` is the
event's ``data.date`` in epoch seconds; ``log_id`` is the envelope's.

Inventory events (``auth0:inventory``, flat JSON objects, see docs/inventory.md) go to table ``inventory`` with the
same conventions: fields at the top level (``object_type``, ``risk_findings{}``, ``object.flags.x``), ``_time`` is
``collected_at``, and ``event_id`` identifies the row: the event's own ``event_id`` key when it has one (test
cases name their events so), else ``<snapshot_id>:<object_type>:<object_id>``.
"""

import datetime
import ipaddress
import json
import re
import sqlite3
from typing import Any, Dict, Iterable, List, Optional, Tuple

from tools.json_fields import leaf_values

TABLE = "logs"
INVENTORY_TABLE = "inventory"


class EventError(ValueError):
    """An input line that is not an Auth0 Log Streams envelope."""


def parse_date(value: str) -> float:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def flatten(document: Any) -> Dict[str, Any]:
    """Splunk's JSON field names and values; multivalue (``{}``) fields as lists."""
    return {name: (values if "{}" in name else values[0]) for name, values in leaf_values(document).items()}


def check_envelope(document: Any) -> Tuple[str, float]:
    """(log_id, epoch seconds) of a Log Streams envelope, or :class:`EventError` saying what is wrong."""
    if not isinstance(document, dict):
        raise EventError("not a JSON object")
    data = document.get("data")
    if not isinstance(data, dict):
        raise EventError('no "data" object (expected a Log Streams envelope {"log_id": ..., "data": {...}})')
    log_id = document.get("log_id") or data.get("log_id")
    if not isinstance(log_id, str) or not log_id:
        raise EventError('no "log_id"')
    date = data.get("date")
    if not isinstance(date, str):
        raise EventError('no "data.date"')
    try:
        return log_id, parse_date(date)
    except ValueError as error:
        raise EventError(f'"data.date" is not ISO 8601: {date!r}') from error


def inventory_event_id(event: Dict[str, Any]) -> str:
    return str(
        event.get("event_id") or f"{event.get('snapshot_id')}:{event.get('object_type')}:{event.get('object_id')}"
    )


def check_inventory_event(document: Any) -> Tuple[str, float]:
    """(event id, epoch seconds) of an inventory event, or :class:`EventError` saying what is wrong."""
    if not isinstance(document, dict):
        raise EventError("not a JSON object")
    if "data" in document and "object_type" not in document:
        raise EventError(
            'a Log Streams envelope, not an inventory event (expected {"collected_at", "object_type", ...})'
        )
    for key in ("object_type", "object_id"):
        if not isinstance(document.get(key), str) or not document[key]:
            raise EventError(f'no "{key}"')
    date = document.get("collected_at")
    if not isinstance(date, str):
        raise EventError('no "collected_at"')
    try:
        return inventory_event_id(document), parse_date(date)
    except ValueError as error:
        raise EventError(f'"collected_at" is not ISO 8601: {date!r}') from error


def read_jsonl(path: str, check=check_envelope) -> List[Dict[str, Any]]:
    """Envelopes (or, with ``check=check_inventory_event``, inventory events) from a file, one per line; a
    malformed line raises :class:`EventError` naming its number."""
    events = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
            except json.JSONDecodeError as error:
                raise EventError(f"{path}:{number}: not JSON ({error.msg} at column {error.colno})") from error
            try:
                check(document)
            except EventError as error:
                raise EventError(f"{path}:{number}: {error}") from error
            events.append(document)
    return events


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _regexp(pattern: Optional[str], value: Any) -> bool:
    if pattern is None or value is None:
        return False
    return re.search(pattern, str(value)) is not None


def _cidr_match(value: Any, cidr: Any) -> bool:
    """True when ``value`` (an address, or a network: its first address) lies in ``cidr``; Splunk's CIDR lookup."""
    if value is None or cidr is None:
        return False
    try:
        address = ipaddress.ip_address(str(value).split("/")[0].strip())
        return address in ipaddress.ip_network(str(cidr).strip(), strict=False)
    except ValueError:
        return False


def _prefix_length(value: Any) -> Optional[int]:
    """The prefix length of ``a.b.c.d/n`` (or an IPv6 network); a bare address is a /32 (/128)."""
    if value is None:
        return None
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False).prefixlen
    except ValueError:
        return None


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.create_function("auth0_cidr_match", 2, _cidr_match, deterministic=True)
    connection.create_function("auth0_prefix_length", 1, _prefix_length, deterministic=True)
    # Sigma's |re (and Splunk's regex) is a search, case-sensitive unless the pattern says (?i).
    connection.create_function("REGEXP", 2, _regexp, deterministic=True)
    return connection


def _create(connection: sqlite3.Connection, table: str, rows: List[Dict[str, Any]], always: Iterable[str]) -> None:
    columns = sorted({name for row in rows for name in row} | set(always))
    definition = ", ".join(f"{_quote(name)} COLLATE NOCASE" for name in columns)
    connection.execute(f"CREATE TABLE {table} ({definition})")
    placeholders = ", ".join("?" for _ in columns)
    insert = f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)}) VALUES ({placeholders})"

    def cell(value: Any) -> Any:
        return json.dumps(value) if isinstance(value, list) else value

    connection.executemany(insert, ([cell(row.get(name)) for name in columns] for row in rows))
    connection.execute(f"CREATE INDEX {table}_time ON {table} (`_time`)")


def load(connection: sqlite3.Connection, envelopes: Iterable[Dict[str, Any]]) -> Dict[str, int]:
    """Create table ``logs`` from envelopes; returns counts (``events``, ``duplicates`` skipped by log_id)."""
    rows: List[Dict[str, Any]] = []
    seen = set()
    duplicates = 0
    for envelope in envelopes:
        log_id, when = check_envelope(envelope)
        if log_id in seen:
            duplicates += 1  # Log Streams deliver at least once: log_id is the dedup key
            continue
        seen.add(log_id)
        fields = flatten({"data": envelope["data"]})
        fields["log_id"] = log_id
        fields["_time"] = when
        rows.append(fields)
    _create(connection, TABLE, rows, ("log_id", "_time", "data.type"))
    return {"events": len(rows), "duplicates": duplicates}


def load_inventory(connection: sqlite3.Connection, events: Iterable[Dict[str, Any]]) -> Dict[str, int]:
    """Create table ``inventory`` from inventory events; returns counts (``events``, ``duplicates`` skipped)."""
    rows: List[Dict[str, Any]] = []
    seen = set()
    duplicates = 0
    for event in events:
        event_id, when = check_inventory_event(event)
        if event_id in seen:
            duplicates += 1
            continue
        seen.add(event_id)
        fields = flatten(event)
        fields["event_id"] = event_id
        fields["_time"] = when
        rows.append(fields)
    always = ("event_id", "_time", "tenant", "snapshot_id", "object_type", "object_id", "object_name")
    _create(connection, INVENTORY_TABLE, rows, always)
    return {"events": len(rows), "duplicates": duplicates}


def ensure_columns(connection: sqlite3.Connection, names: Iterable[str], table: str = TABLE) -> None:
    """Add (empty) columns a query refers to but no event has, so the query still runs."""
    existing = {row[1].lower() for row in connection.execute(f"PRAGMA table_info({table})")}
    for name in names:
        if name.lower() not in existing:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {_quote(name)} COLLATE NOCASE")
            existing.add(name.lower())
