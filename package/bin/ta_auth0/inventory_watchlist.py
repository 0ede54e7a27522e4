"""The watchlist fill: the latest inventory snapshot's API Explorer and privileged machine-to-machine applications
become ``source=inventory`` rows of the ``auth0_client_watchlist`` KV store collection.

The fill is a scheduled saved search (:data:`FILL_SEARCH`, stanza :data:`SAVED_SEARCH_NAME`). The functions here
state the same rules in Python, step for step, so they can be tested over fixtures; the tests also execute the SPL
itself (with the offline model of Splunk's search pipeline, ``tools/spl_engine``) and check both agree.

Rules:

1. candidates: client events of each tenant's latest snapshot (``max(_time) by tenant``; every event of a snapshot
   has the snapshot's time, and the summary event keeps a snapshot without candidates the latest) whose
   ``watchlist_category`` (set by the collector) is ``api_explorer`` or ``privileged_m2m``;
2. every candidate row has ``_key = inventory:<tenant>:<client_id>``, ``source=inventory``;
3. existing rows are read (``inputlookup``) only to decide: a key held by a row whose source is not ``inventory``
   (a person's row) is never written; an existing inventory row with the same key gives its first ``added_at``;
4. only candidate rows are written, with ``outputlookup append=true``: the KV store replaces documents with the same
   ``_key`` and inserts the others. Rows of people (``source=manual``) are never written, so they are never
   overwritten or deleted, even if someone edits the collection while the search runs. Inventory rows of
   applications that no longer qualify are kept (the fill never deletes); their ``reason`` names the snapshot
   that last saw them.
"""

from typing import Any, Dict, Iterable, List

SAVED_SEARCH_NAME = "Auth0 - Watchlist fill from the configuration inventory"
COLLECTION = "auth0_client_watchlist"
CATEGORIES = ("api_explorer", "privileged_m2m")
ROW_FIELDS = ("_key", "client_id", "tenant", "category", "label", "reason", "source", "added_by", "added_at",
              "expires_at")  # fmt: skip
ADDED_BY = "auth0_inventory"

#: The saved search (one command per line; savedsearches.conf joins continuation lines with a backslash).
FILL_SEARCH_LINES = (
    '`auth0_index` sourcetype="auth0:inventory" '
    '(object_type="snapshot" OR (object_type="client" watchlist_category=*))',
    "| eventstats max(_time) as fill_latest by tenant",
    '| where _time=fill_latest AND object_type="client" AND in(watchlist_category, "api_explorer", "privileged_m2m")',
    '| eval _key="inventory:" . tenant . ":" . object_id, client_id=object_id, category=watchlist_category, '
    'label=object_name, reason=coalesce(watchlist_reason, watchlist_category) . " (inventory snapshot " . '
    'snapshot_id . " at " . collected_at . ")", source="inventory", added_by="auth0_inventory", '
    'added_at=collected_at, expires_at="", fill_new=1',
    "| table _key, client_id, tenant, category, label, reason, source, added_by, added_at, expires_at, fill_new",
    "| inputlookup append=true auth0_client_watchlist",
    '| eval fill_key=_key, fill_new=coalesce(fill_new, 0), fill_manual=if(fill_new=0 AND coalesce(source, "") '
    '!= "inventory", 1, 0), fill_old_added=if(fill_new=0, added_at, null())',
    "| eventstats max(fill_manual) as fill_has_manual, min(fill_old_added) as fill_first_added by fill_key",
    "| where fill_new=1 AND fill_has_manual=0",
    "| eval added_at=coalesce(fill_first_added, added_at)",
    "| fields - fill_*",
    "| outputlookup append=true auth0_client_watchlist",
)
FILL_SEARCH = "\n".join(FILL_SEARCH_LINES)

SAVED_SEARCH_SETTINGS = (
    ("description", "Upserts the API Explorer Application and privileged machine-to-machine applications of each "
                    "tenant's latest configuration snapshot (sourcetype auth0:inventory) into the "
                    "auth0_client_watchlist KV store collection as source=inventory rows. Rows added by people "
                    "(source=manual) are never written, overwritten or deleted. See docs/inventory.md."),
    ("search", FILL_SEARCH),
    ("enableSched", "1"),
    ("realtime_schedule", "0"),
    ("cron_schedule", "23 * * * *"),
    # The latest snapshot of the last 12 hours: twice the inventory's default 6-hour interval.
    ("dispatch.earliest_time", "-12h@h"),
    ("dispatch.latest_time", "now"),
    ("schedule_window", "auto"),
    ("request.ui_dispatch_app", "search"),
    # Shipped disabled, like every search of the add-on: enable it once an auth0_inventory input runs.
    ("disabled", "1"),
)  # fmt: skip


def saved_search_stanza() -> str:
    """The savedsearches.conf stanza text (continuation lines end with a backslash)."""
    lines = [f"[{SAVED_SEARCH_NAME}]"]
    for key, value in SAVED_SEARCH_SETTINGS:
        lines.append(f"{key} = " + " \\\n".join(value.split("\n")))
    return "\n".join(lines) + "\n"


def candidate_rows(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Step 1-2: rows for the candidates of each tenant's latest snapshot (events as Splunk gives them, with
    ``_time``)."""
    events = [e for e in events if e.get("sourcetype") in (None, "auth0:inventory")]
    latest: Dict[str, float] = {}
    for event in events:
        if event.get("object_type") == "snapshot" or (
            event.get("object_type") == "client" and event.get("watchlist_category")
        ):
            tenant = event.get("tenant")
            latest[tenant] = max(latest.get(tenant, float("-inf")), float(event["_time"]))
    rows = []
    for event in events:
        if event.get("object_type") != "client" or event.get("watchlist_category") not in CATEGORIES:
            continue
        if float(event["_time"]) != latest.get(event.get("tenant")):
            continue
        reason = (event.get("watchlist_reason") or event["watchlist_category"]) + (
            f" (inventory snapshot {event['snapshot_id']} at {event['collected_at']})"
        )
        rows.append(
            {
                "_key": f"inventory:{event['tenant']}:{event['object_id']}",
                "client_id": event["object_id"],
                "tenant": event["tenant"],
                "category": event["watchlist_category"],
                "label": event.get("object_name"),
                "reason": reason,
                "source": "inventory",
                "added_by": ADDED_BY,
                "added_at": event["collected_at"],
                "expires_at": "",
            }
        )
    return rows


def rows_to_write(candidates: Iterable[Dict[str, Any]], existing: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Step 3: the candidate rows the search writes, given the collection's current rows."""
    manual_keys = {row.get("_key") for row in existing if (row.get("source") or "") != "inventory"}
    first_added: Dict[Any, str] = {}
    for row in existing:
        if (row.get("source") or "") == "inventory" and row.get("added_at") is not None:
            key = row.get("_key")
            first_added[key] = min(first_added.get(key, row["added_at"]), row["added_at"])
    written = []
    for row in candidates:
        if row["_key"] in manual_keys:
            continue
        kept = dict(row)
        kept["added_at"] = first_added.get(row["_key"], row["added_at"])
        written.append(kept)
    return written


def upsert(collection: List[Dict[str, Any]], rows: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Step 4, the KV store's ``outputlookup append=true``: replace documents by ``_key``, insert the others."""
    result = [dict(row) for row in collection]
    position = {row.get("_key"): index for index, row in enumerate(result)}
    for row in rows:
        if row["_key"] in position:
            result[position[row["_key"]]] = dict(row)
        else:
            position[row["_key"]] = len(result)
            result.append(dict(row))
    return result


def fill(collection: List[Dict[str, Any]], events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The collection after one run of the fill search over ``events``."""
    return upsert(collection, rows_to_write(candidate_rows(events), collection))
