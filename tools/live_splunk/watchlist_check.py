"""``| auth0watchlist`` in splunkd, against the command's own semantics.

The KV store collection ``auth0_client_watchlist`` is filled through REST (``storage/collections/data``) with
rows that exercise the command's rules (categories, an expired row, a ``<client_id>@clients`` row, a client id
with a manual and an inventory row), a few Log Streams envelopes that carry client ids where Auth0 puts them go
in through HEC, and the command runs with several options. Each event's ``watchlist_match``,
``watchlist_category``, ``watchlist_label``, ``watchlist_field`` and ``watchlist_client_id`` must be what
``ta_auth0.watchlist`` (the module the command runs) computes for the same event flattened the way Splunk
extracts JSON; with ``mode=filter`` only the matching events may come back.
"""

import datetime
import os
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

from tools.detections.events import flatten
from tools.live_splunk import hec
from tools.live_splunk.compare import normalize
from tools.live_splunk.rest import Hec, Splunk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "package", "bin")
if BIN not in sys.path:
    sys.path.insert(0, BIN)

from ta_auth0 import watchlist as semantics  # noqa: E402

SOURCE = "ta-auth0-live:watchlist"
COLLECTION = semantics.COLLECTION
TENANT = "live.us.auth0.com"
CHECKED = ("watchlist_match", "watchlist_category", "watchlist_label", "watchlist_field", "watchlist_client_id")

ROWS: List[Dict[str, str]] = [
    {"client_id": "LiveCritical0001", "category": "critical", "label": "Payments API client", "tenant": TENANT,
     "reason": "holds the payment provider's secret", "source": "manual"},
    {"client_id": "LiveExplorer0001", "category": "api_explorer", "label": "API Explorer Application",
     "source": "manual"},
    {"client_id": "LiveM2M000000001@clients", "category": "privileged_m2m", "label": "Deploy pipeline",
     "source": "inventory"},
    {"client_id": "LiveExpired00001", "category": "critical", "label": "Retired app", "expires_at": "2001-01-01",
     "source": "manual"},
    {"client_id": "LiveDup000000001", "category": "custom", "label": "inventory row", "source": "inventory",
     "added_at": "2026-01-02T00:00:00Z"},
    {"client_id": "LiveDup000000001", "category": "critical", "label": "manual row", "source": "manual",
     "added_at": "2025-01-02T00:00:00Z"},
]  # fmt: skip

#: (log_id, data): where each event carries client ids.
EVENTS: List[Tuple[str, Dict[str, Any]]] = [
    ("w-explorer", {"type": "seccft", "client_id": "LiveExplorer0001", "client_name": "API Explorer Application"}),
    ("w-secret", {"type": "mgmt_api_read", "client_id": "DashboardClient0",
                  "details": {"response": {"body": {"client_id": "LiveCritical0001"}}}}),
    ("w-path", {"type": "sapi", "client_id": "DashboardClient0",
                "details": {"request": {"path": "/api/v2/clients/LiveCritical0001/credentials", "method": "post"}}}),
    ("w-m2m", {"type": "sapi", "client_id": "OtherClient00001", "user_id": "LiveM2M000000001@clients"}),
    ("w-list", {"type": "mgmt_api_read", "client_id": "DashboardClient0",
                "details": {"response": {"body": [{"client_id": "Unlisted00000001"},
                                                  {"client_id": "LiveM2M000000001"}]}}}),
    ("w-expired", {"type": "s", "client_id": "LiveExpired00001"}),
    ("w-dup", {"type": "s", "client_id": "LiveDup000000001"}),
    ("w-none", {"type": "s", "client_id": "NotWatched000001"}),
    ("w-caller", {"type": "sapi", "client_id": "LiveCritical0001",
                  "details": {"response": {"body": {"client_id": "LiveExplorer0001"}}}}),
]  # fmt: skip

#: The command's arguments in each search, and the same options as ta_auth0.watchlist takes them.
SEARCHES: List[Tuple[str, Dict[str, str]]] = [
    ("", {}),
    ("category=critical", {"category": "critical"}),
    ('fields="data.client_id" mode=filter', {"fields": "data.client_id", "mode": "filter"}),
]


def envelopes(now: float) -> List[Dict[str, Any]]:
    """The check's events, an hour before ``now``, a second apart."""
    start = datetime.datetime.fromtimestamp(int(now) - 3600, tz=datetime.timezone.utc)
    built = []
    for offset, (log_id, data) in enumerate(EVENTS):
        when = (start + datetime.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        body = {"date": when, **data, "tenant_name": TENANT, "log_id": log_id}
        built.append({"log_id": log_id, "data": body})
    return built


def expected(rows: List[Dict[str, Any]], events: List[Dict[str, Any]], options: Dict[str, str], now: float):
    """log_id -> the checked output fields, as ``ta_auth0.watchlist`` computes them (filter mode: matches only)."""
    parsed, errors = semantics.options_from_values(**options)
    if errors:
        raise ValueError("; ".join(errors))
    found, _warnings = semantics.build_watchlist(rows, parsed, now)
    result: Dict[str, Dict[str, str]] = {}
    for envelope in events:
        record = flatten({"data": envelope["data"]})
        record["log_id"] = envelope["log_id"]
        hit = semantics.match_record(record, parsed.fields, found)
        if hit is None and parsed.mode == "filter":
            continue
        values = semantics.NO_MATCH_VALUES if hit is None else hit.values()
        output = dict(zip(semantics.OUTPUT_FIELDS, values))
        result[envelope["log_id"]] = {name: output[name] for name in CHECKED}
    return result


def compare_rows(wanted: Dict[str, Dict[str, str]], rows: List[Dict[str, Any]]) -> List[str]:
    got: Dict[str, Dict[str, str]] = {}
    differences = []
    for row in rows:
        log_id = normalize(row.get("log_id"))
        if not isinstance(log_id, str):
            differences.append(f"a result without one log_id: {row}")
            continue
        got[log_id] = {name: normalize(row.get(name)) or "" for name in CHECKED}
    for log_id, fields in sorted(wanted.items()):
        if log_id not in got:
            differences.append(f"{log_id}: missing from the results")
            continue
        for name in CHECKED:
            if got[log_id][name] != (fields[name] or ""):
                differences.append(f"{log_id}: {name} is {got[log_id][name]!r}, {fields[name]!r} expected")
    differences += [f"{log_id}: should not be in the results" for log_id in sorted(set(got) - set(wanted))]
    return differences


def spl(arguments: str) -> str:
    command = f"auth0watchlist {arguments}".strip()
    return f"`auth0_logs` | {command} | table log_id {' '.join(CHECKED)}"


def run(
    splunk: Splunk,
    collector: Hec,
    wait_indexed: Callable[[Dict[str, int], float], None],
    index: str,
    app: str,
    say: Callable[[str], None] = print,
) -> List[str]:
    """Ingest the events, fill the collection, run each search; returns the differences (empty: all agree)."""
    now = time.time()
    events = envelopes(now)
    for body in hec.batches(hec.log_payloads(events, SOURCE, index)):
        collector.send(body)
    wait_indexed({SOURCE: len(events)}, 300)
    splunk.kv_replace(app, COLLECTION, ROWS)
    splunk.set_macro(app, "auth0_index", f'index={index} source="{SOURCE}"')
    differences = []
    for arguments, options in SEARCHES:
        rows, messages = splunk.oneshot(
            app, spl(arguments), earliest_time=int(now) - 86400, latest_time=int(time.time()) + 60
        )
        errors = [m for m in messages if str(m.get("type", "")).upper() in ("ERROR", "FATAL")]
        found = [f"splunkd: {m.get('text')}" for m in errors]
        found += compare_rows(expected(ROWS, events, options, time.time()), rows)
        say(f"  {'ok' if not found else 'DIFF':5s} | {'auth0watchlist ' + arguments}".rstrip())
        for line in found:
            say(f"        {line}")
        differences += [f"auth0watchlist {arguments}: {line}" for line in found]
    splunk.kv_replace(app, COLLECTION, [])
    return differences
