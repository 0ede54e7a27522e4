"""``python -m tools.detections.replay --events FILE [--inventory FILE] [--watchlist CSV]``: every detection over
files of events.

``--events`` holds Auth0 Log Streams envelopes, one per line (``make demo`` writes ``demo-output/events.jsonl``);
``--inventory`` the configuration inventory's events, one per line (``demo-output/inventory.jsonl``), for the
posture detections (``logsource: {product: auth0, service: inventory}``); give either or both. Without
``--inventory`` the posture detections have no events and stay silent. The detections run in the same engine as
their tests (pySigma's SQLite backend, :mod:`tools.detections.engine`) over the whole files, as one dispatch
window. Each alert is printed as one JSON object per line: ``detection`` (the saved search's name), ``id``,
``severity``, ``mitre_attack``, ``group`` (the alert's fields), ``count``, ``first_seen``, ``last_seen`` and
``log_ids``; a posture alert has ``object_ids``, ``snapshot_ids`` and ``event_ids``
(``<snapshot_id>:<object_type>:<object_id>``) instead of ``log_ids``.

``--watchlist``: a CSV with a header, at least ``client_id,category`` (``reason`` and the other columns of the
``auth0_client_watchlist`` collection are allowed); without it the watchlist is empty, so the watchlist-scoped
detections stay silent and their unscoped variants still report.

Exit status: 0 when at least one alert fired, 1 when none did, 2 on an error (a malformed line is reported with its
number; nothing is skipped silently). A summary goes to standard error.
"""

import argparse
import csv
import json
import sys
from typing import Dict, List

from tools.detections import model
from tools.detections.engine import Engine
from tools.detections.events import EventError, check_inventory_event, read_jsonl
from tools.detections.placeholders import WATCHLIST_CATEGORIES


def read_watchlist(path: str) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "client_id" not in reader.fieldnames:
            raise EventError(f"{path}: the header must name client_id (client_id,category,reason)")
        rows = []
        for number, row in enumerate(reader, 2):
            client_id = (row.get("client_id") or "").strip()
            category = (row.get("category") or "custom").strip() or "custom"
            if not client_id:
                raise EventError(f"{path}:{number}: empty client_id")
            if category not in WATCHLIST_CATEGORIES:
                raise EventError(
                    f"{path}:{number}: category {category!r} is not one of {', '.join(WATCHLIST_CATEGORIES)}"
                )
            rows.append({**row, "client_id": client_id, "category": category})
        return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run every TA-auth0 detection over a file of Auth0 events.")
    parser.add_argument("--events", help="JSON lines, one Log Streams envelope per line")
    parser.add_argument("--inventory", help="JSON lines, one configuration inventory event per line")
    parser.add_argument("--watchlist", help="CSV with header client_id,category,reason")
    args = parser.parse_args(argv)
    if not args.events and not args.inventory:
        parser.error("give --events, --inventory or both")
    try:
        envelopes = read_jsonl(args.events) if args.events else []
        inventory = read_jsonl(args.inventory, check=check_inventory_event) if args.inventory else []
        watchlist = read_watchlist(args.watchlist) if args.watchlist else []
    except (EventError, OSError) as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2
    detections = model.load_all()
    engine = Engine(envelopes, watchlist, inventory=inventory)
    fired = 0
    by_detection: Dict[str, int] = {}
    for detection in detections:
        for alert in engine.run(detection):
            print(json.dumps(alert, sort_keys=False))
            fired += 1
            by_detection[detection.name] = by_detection.get(detection.name, 0) + 1
    summary = f"replay: {engine.stats['events']} events"
    if engine.stats["duplicates"]:
        summary += f" ({engine.stats['duplicates']} duplicate log_ids ignored)"
    if args.inventory:
        summary += f", {engine.inventory_stats['events']} inventory events"
        if engine.inventory_stats["duplicates"]:
            summary += f" ({engine.inventory_stats['duplicates']} duplicates ignored)"
    summary += f", {len(detections)} detections, {fired} alerts"
    print(summary, file=sys.stderr)
    for name, count in sorted(by_detection.items()):
        print(f"  {count:4d}  {name}", file=sys.stderr)
    return 0 if fired else 1


if __name__ == "__main__":
    sys.exit(main())
