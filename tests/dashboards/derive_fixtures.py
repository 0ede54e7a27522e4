"""Derive the dashboards' fixtures from the demo scenario.

    make demo                                        # writes demo-output/events.jsonl
    .venv/bin/python -m tests.dashboards.derive_fixtures [--events demo-output/events.jsonl]

For every data source of every shipped view this computes, in Python, the table its search would return over the
demo events (the same field names and shapes: hourly buckets, split-by columns, strftime'd times) and writes
``tests/dashboards/fixtures/<view>.json`` as ``{"source": ..., "dataSources": {<id>: {"fields", "rows"}}}``. The
committed fixtures are a snapshot of one demo run; the render harness feeds them to the views unchanged.

What the demo does not contain is modelled, and said so here:

* the watchlist (KV store): the inventory's fill (clients the demo snapshot gives a ``watchlist_category``) plus
  the simulator's critical applications ("Billing Service", "Payments Backend") added by hand as ``critical``;
* ingestion lag (``_indextime - _time``): Auth0's own delay, read from the index time embedded in each
  ``log_id`` (digits 4-17, UTC), plus half of the input's default 60 s interval;
* the add-on's ``_internal`` lines: one run a minute ingesting what Auth0 indexed in that minute, no errors (the
  demo run had none);
* fired detections: Enterprise Security notables (``index=notable``, with the alert's ``tenant``) for the alerts the
  add-on's detections raise over the same events, from the detections' own replay engine (tools/detections), each
  fired by a scheduled run 5 minutes after its last event; with notables for every detection, the view keeps no
  ``_audit`` row.

The configuration inventory comes from the demo itself (``demo-output/inventory.jsonl``, the inventory input's
events over the same simulated tenant).
"""

import argparse
import collections
import configparser
import csv
import datetime
import json
import os
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.dashboards.views import FIXTURES_DIR, ROOT, load_views

DEFAULT_EVENTS = os.path.join(ROOT, "demo-output", "events.jsonl")
LOG_TYPES_CSV = os.path.join(ROOT, "package", "lookups", "auth0_log_types.csv")
DEMO_CRITICAL = ("Billing Service", "Payments Backend")  # the simulator's critical applications, added by hand
DEFAULT_INVENTORY = os.path.join(ROOT, "demo-output", "inventory.jsonl")
MACROS_CONF = os.path.join(ROOT, "package", "default", "macros.conf")
DCR_THRESHOLD_MACRO = "auth0_dcr_registration_burst_threshold"  # the DCR view's default threshold
DCR_WINDOW_MIN = 60  # the DCR view's default window (the detection's)
SECRET_READ_DESCRIPTIONS = ("Get client by ID", "Get a client")  # the detections Client secret read
INPUT_INTERVAL_S = 60
DEMO_INPUT = "demo"  # the input name make demo uses
HOUR = 3600
EVENTS_PATH = [DEFAULT_EVENTS]  # the events file in use (the detections' replay reads it itself)

Table = Dict[str, Any]


# -- helpers: Splunk-like values ---------------------------------------------------------------------------------


def iso(epoch: float) -> str:
    """_time as Splunk's JSON results carry it."""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def strftime(epoch: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(fmt)


def parse_date(value: str) -> float:
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def bucket(epoch: float, span: int) -> int:
    return int(epoch // span * span)


def table(fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    return {"fields": list(fields), "rows": [list(r) for r in rows]}


def nz(value: Any) -> Optional[Any]:
    """nullif(value, "")."""
    return None if value in ("", None) else value


def timechart(
    records: List[dict],
    span: int,
    value: Callable[[dict], float],
    split: Optional[str],
    start: int,
    end: int,
    rename: Optional[str] = None,
    function: Callable[[List[float]], float] = sum,
) -> Table:
    """``timechart span=<span> sum(...) [by split]`` (or another ``function``, e.g. ``max``, then ``fillnull
    value=0``): every bucket from start to end, series sorted by name."""
    series = sorted({r[split] for r in records}) if split else [rename or "count"]
    values: Dict[int, Dict[str, List[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in records:
        values[bucket(r["_time"], span)][r[split] if split else series[0]].append(value(r))
    rows = []
    for t in range(bucket(start, span), bucket(end, span) + span, span):
        rows.append([iso(t)] + [_num(function(values[t][s])) if values[t].get(s) else 0 for s in series])
    return table(["_time", *series], rows)


def chart_over_by(records: List[dict], over: str, by: str, value: Callable[[dict], float], head: int = 10) -> Table:
    """``chart sum(...) over <over> by <by> | addtotals | sort - Total | head N | fields - Total``."""
    series = sorted({r[by] for r in records})
    sums: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in records:
        sums[r[over]][r[by]] += value(r)
    order = sorted(sums, key=lambda k: (-sum(sums[k].values()), k))[:head]
    return table([over, *series], ([k] + [_num(sums[k].get(s, 0)) for s in series] for k in order))


def _num(value: float) -> Any:
    return int(value) if float(value).is_integer() else round(value, 2)


# -- the demo events, with the search-time fields the views use ----------------------------------------------------


def log_categories() -> Dict[str, str]:
    with open(LOG_TYPES_CSV, encoding="utf-8") as handle:
        return {row["code"]: row["category"] for row in csv.DictReader(handle)}


def load_events(path: str) -> List[dict]:
    categories = log_categories()
    events = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            envelope = json.loads(line)
            data = envelope["data"]
            t = parse_date(data["date"])
            auth0_indexed = (
                datetime.datetime.strptime(envelope["log_id"][3:17], "%Y%m%d%H%M%S")
                .replace(tzinfo=datetime.timezone.utc)
                .timestamp()
            )
            events.append(
                {
                    "_time": t,
                    "_indextime": max(t, auth0_indexed) + INPUT_INTERVAL_S / 2,
                    "log_id": envelope["log_id"],
                    "data": data,
                    "type": data.get("type"),
                    "dvc": nz(data.get("tenant_name")) or nz(data.get("hostname")) or "unknown",
                    "host": data.get("hostname"),
                    "src": nz(data.get("ip")) or nz(data.get("client_ip")) or "unknown",
                    "auth0_category": nz(categories.get(data.get("type"), "")) or "Uncategorised",
                }
            )
    events.sort(key=lambda e: e["_time"])
    return events


def load_inventory(path: str) -> List[dict]:
    """The demo's inventory snapshot (make demo writes it beside the events); [] when absent."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def demo_watchlist(events: List[dict], inventory: List[dict]) -> Dict[str, dict]:
    """client_id -> {category, label}: the inventory fill (rows for clients the inventory gives a watchlist
    category), then the simulator's critical applications added by hand (a manual row wins)."""
    entries = {}
    for item in inventory:
        if item.get("object_type") == "client" and item.get("watchlist_category"):
            entries[item["object_id"]] = {"category": item["watchlist_category"], "label": item.get("object_name")}
    names = {e["data"].get("client_name"): e["data"].get("client_id") for e in events if e["data"].get("client_id")}
    for name in DEMO_CRITICAL:
        if name not in names:
            raise SystemExit(f"the demo events never name {name!r}: is this the demo scenario?")
        entries[names[name]] = {"category": "critical", "label": name}
    explorer = names.get("API Explorer Application")
    if explorer and explorer not in entries:
        entries[explorer] = {"category": "api_explorer", "label": "API Explorer Application"}
    return entries


def macro_value(name: str) -> str:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.read(MACROS_CONF, encoding="utf-8")
    return parser.get(name, "definition")


def tenants(events: List[dict]) -> Table:
    counts = collections.Counter(e["dvc"] for e in events)
    return table(["label", "value"], ([f"{t} ({n} events)", t] for t, n in counts.most_common()))


# -- view: copied credentials --------------------------------------------------------------------------------------


def is_secret_read(e: dict) -> bool:
    """The condition of the detections *Client secret read*: a client read that returned its client secret."""
    d = e["data"]
    return (
        e["type"] == "mgmt_api_read"
        and d.get("description") in SECRET_READ_DESCRIPTIONS
        and "client_secret" in ((d.get("details") or {}).get("accessedSecrets") or [])
    )


def credentials_base(events: List[dict], watchlist: Dict[str, dict]) -> List[dict]:
    groups: Dict[tuple, dict] = {}
    for e in events:
        d = e["data"]
        if not (is_secret_read(e) or (e["type"] == "seccft" and str(d.get("audience", "")).endswith("/api/v2/"))):
            continue
        details = d.get("details") or {}
        if e["type"] == "mgmt_api_read":
            body = (details.get("response") or {}).get("body") or {}
            path = (details.get("request") or {}).get("path", "")
            client_id = nz(body.get("client_id")) or path.rsplit("/api/v2/clients/", 1)[-1].split("/")[0]
            client_name = nz(body.get("name")) or "-"
            user = ((details.get("request") or {}).get("auth") or {}).get("user") or {}
            actor = nz(user.get("email")) or nz(d.get("user_name")) or nz(d.get("user_id")) or "unknown"
        else:
            client_id, client_name = d.get("client_id") or "unknown", nz(d.get("client_name")) or "-"
            actor = f"{d.get('client_id')}@clients"
        secrets = ",".join(details.get("accessedSecrets") or []) or "-"
        key = (bucket(e["_time"], HOUR), e["dvc"], e["type"], client_id, client_name, actor, e["src"], secrets)
        g = groups.setdefault(key, {"count": 0, "first_seen": e["_time"], "last_seen": e["_time"]})
        g["count"] += 1
        g["last_seen"] = max(g["last_seen"], e["_time"])
    known_names: Dict[str, str] = {}  # eventstats first(named) as known_name by client_id
    for key in groups:
        if key[4] != "-":
            known_names.setdefault(key[3], key[4])
    records = []
    for (t, dvc, kind, client_id, client_name, actor, src, secrets), g in groups.items():
        entry = watchlist.get(client_id)
        client = known_names.get(client_id) or (entry["label"] if entry else client_id)
        if kind == "mgmt_api_read":
            activity = "Client-secret read"
        elif (entry and entry["category"] == "api_explorer") or client_name == "API Explorer Application":
            activity = "API Explorer token"
        else:
            activity = "Management API token"
        records.append(
            {
                "_time": t,
                "dvc": dvc,
                "activity": activity,
                "client_id": client_id,
                "client": client,
                "watchlisted": "watchlisted" if entry else "not watchlisted",
                "watchlist_category": entry["category"] if entry else "",
                "actor": actor,
                "src": src,
                "secrets": secrets,
                **g,
            }
        )
    records.sort(key=lambda r: (r["_time"], r["client_id"], r["actor"]))
    return records


def credentials(events: List[dict], inventory: List[dict]) -> Dict[str, Table]:
    watchlist = demo_watchlist(events, inventory)
    base = credentials_base(events, watchlist)
    reads = [r for r in base if r["activity"] == "Client-secret read"]
    explorer = [r for r in base if r["activity"] == "API Explorer token"]
    start, end = events[0]["_time"], events[-1]["_time"]
    out = {
        "ds_base_credentials": table(
            [
                "_time",
                "dvc",
                "activity",
                "client_id",
                "client",
                "watchlisted",
                "watchlist_category",
                "actor",
                "src",
                "secrets",
                "count",
                "first_seen",
                "last_seen",
            ],
            (
                [
                    iso(r["_time"]),
                    r["dvc"],
                    r["activity"],
                    r["client_id"],
                    r["client"],
                    r["watchlisted"],
                    r["watchlist_category"],
                    r["actor"],
                    r["src"],
                    r["secrets"],
                    r["count"],
                    r["first_seen"],
                    r["last_seen"],
                ]
                for r in base
            ),
        ),
        "ds_tenants": tenants(events),
        "ds_kpi_secret_reads": table(["reads"], [[sum(r["count"] for r in reads)]]),
        "ds_kpi_watchlisted_reads": table(
            ["reads"], [[sum(r["count"] for r in reads if r["watchlisted"] == "watchlisted")]]
        ),
        "ds_kpi_readers": table(["admins"], [[len({r["actor"] for r in reads})]]),
        "ds_kpi_api_explorer": table(["tokens"], [[sum(r["count"] for r in explorer)]]),
        "ds_reads_over_time": timechart(reads, HOUR, lambda r: r["count"], "watchlisted", start, end),
        "ds_reads_by_admin": chart_over_by(reads, "actor", "watchlisted", lambda r: r["count"]),
        "ds_reads_by_ip": chart_over_by(reads, "src", "watchlisted", lambda r: r["count"]),
        "ds_reads_by_client": chart_over_by(reads, "client", "watchlisted", lambda r: r["count"]),
        "ds_tokens_by_client": chart_over_by(
            [r for r in base if r["activity"] != "Client-secret read"], "client", "watchlisted", lambda r: r["count"]
        ),
    }
    rows = []
    for (dvc, client, client_id), group in _group(explorer, ("dvc", "client", "client_id")).items():
        rows.append(
            [
                max(r["last_seen"] for r in group),
                dvc,
                client,
                sum(r["count"] for r in group),
                sorted({r["src"] for r in group}),
                min(r["first_seen"] for r in group),
                client_id,
            ]
        )
    rows.sort(key=lambda r: -r[0])
    out["ds_api_explorer_tokens"] = table(
        ["last_seen", "tenant", "client", "tokens", "src_ips", "first_seen", "client_id"],
        ([strftime(r[0]), *r[1:5], strftime(r[5]), r[6]] for r in rows),
    )
    rows = []
    keys = ("dvc", "activity", "client", "client_id", "watchlisted", "actor", "src")
    for key, group in _group([r for r in base if r["activity"] != "Management API token"], keys).items():
        k = dict(zip(keys, key))
        rows.append(
            [
                max(r["last_seen"] for r in group),
                k["dvc"],
                k["activity"],
                k["client"],
                "watchlisted" if k["watchlisted"] == "watchlisted" else "",
                k["actor"],
                k["src"],
                sum(r["count"] for r in group),
                k["client_id"],
            ]
        )
    rows.sort(key=lambda r: -r[0])
    out["ds_triage"] = table(
        ["last_seen", "tenant", "activity", "client", "watchlist", "actor", "src_ip", "events", "client_id"],
        ([strftime(r[0]), *r[1:]] for r in rows),
    )
    return out


def _group(records: List[dict], keys: Sequence[str]) -> Dict[tuple, List[dict]]:
    groups: Dict[tuple, List[dict]] = collections.defaultdict(list)
    for r in records:
        groups[tuple(r[k] for k in keys)].append(r)
    return groups


def _mv(values: List[str]) -> Any:
    """A multivalue field in JSON results: a list when several values, else the value."""
    return values if len(values) > 1 else values[0]


# -- view: Dynamic Client Registration -------------------------------------------------------------------------


def dcr_base(events: List[dict]) -> List[dict]:
    """The detection's events: ``sapi`` *Dynamic client registration*, ``dedup log_id``, with a tenant name."""
    records, seen = [], set()
    for e in events:
        d = e["data"]
        if e["type"] != "sapi" or d.get("description") != "Dynamic client registration" or e["log_id"] in seen:
            continue
        seen.add(e["log_id"])
        if d.get("tenant_name") is None:
            continue
        details = d.get("details") or {}
        request = (details.get("request") or {}).get("body") or {}
        response = (details.get("response") or {}).get("body") or {}
        uris = response.get("redirect_uris") or request.get("redirect_uris") or []
        domains = list(dict.fromkeys(_host(u) for u in uris)) or ["(none)"]
        records.append(
            {
                "_time": e["_time"],
                "tenant": d["tenant_name"],
                "src": e["src"],
                "client_id": nz(response.get("client_id")) or "(not created)",
                "client_name": nz(response.get("client_name")) or nz(request.get("client_name")) or "(no name)",
                "redirect_domain": domains,
            }
        )
    return records


def _host(uri: str) -> str:
    """replace(uri, "^scheme://(?:userinfo@)?([^/?#:]+).*$", "\1"), lowered; the URI itself when it does not match."""
    scheme, sep, rest = uri.partition("://")
    if not sep or not scheme[:1].isalpha():
        return uri.lower()
    return rest.split("@", 1)[-1].split("/")[0].split("?")[0].split("#")[0].split(":")[0].lower()


def dcr_sliding(base: List[dict], window_min: int) -> List[dict]:
    """``ds_dcr_sliding``: registrations counted per minute step and tenant, each step added to the windows of
    ``window_min`` minutes that end in it or in the next ``window_min - 1`` minutes (``mvrange``), then summed per
    window end and tenant: the detection's sliding count, one row per window that holds a registration."""
    steps: Dict[tuple, List[dict]] = _group([dict(r, step=bucket(r["_time"], 60)) for r in base], ("step", "tenant"))
    windows: Dict[tuple, dict] = {}
    for (step, tenant), records in steps.items():
        for end in range(step, step + window_min * 60, 60):
            w = windows.setdefault((end, tenant), {"in_window": 0, "src_ips": set(), "names": set()})
            w["in_window"] += len(records)
            w["src_ips"].update(r["src"] for r in records)
            w["names"].update(r["client_name"] for r in records)
    return [
        {"window_end": end, "tenant": tenant, **w, "src_ips": sorted(w["src_ips"]), "names": sorted(w["names"])}
        for (end, tenant), w in sorted(windows.items())
    ]


def dcr_bursts(sliding: List[dict], threshold: int) -> List[list]:
    """``ds_dcr_bursts``: windows at or over the threshold, consecutive minutes of a tenant merged into a burst."""
    bursts: List[List[dict]] = []
    previous: Dict[str, int] = {}
    for w in sorted((w for w in sliding if w["in_window"] >= threshold), key=lambda w: (w["tenant"], w["window_end"])):
        if w["tenant"] not in previous or w["window_end"] - previous[w["tenant"]] > 60:
            bursts.append([])
        previous[w["tenant"]] = w["window_end"]
        bursts[-1].append(w)
    rows = [
        [
            b[0]["window_end"],
            b[-1]["window_end"],
            b[0]["tenant"],
            max(w["in_window"] for w in b),
            _mv(sorted({ip for w in b for ip in w["src_ips"]})),
            len({name for w in b for name in w["names"]}),
        ]
        for b in bursts
    ]
    rows.sort(key=lambda r: -r[0])
    return [[strftime(r[0], "%Y-%m-%d %H:%M"), strftime(r[1], "%Y-%m-%d %H:%M"), *r[2:]] for r in rows]


def dcr(events: List[dict], inventory: List[dict]) -> Dict[str, Table]:
    threshold = int(macro_value(DCR_THRESHOLD_MACRO))
    base = dcr_base(events)
    sliding = dcr_sliding(base, DCR_WINDOW_MIN)
    start, end = events[0]["_time"], max([events[-1]["_time"]] + [w["window_end"] for w in sliding])
    over = timechart(
        [dict(w, _time=w["window_end"]) for w in sliding],
        DCR_WINDOW_MIN * 60,
        lambda w: w["in_window"],
        "tenant",
        start,
        end,
        function=max,
    )
    over["fields"].append("burst threshold")
    for row in over["rows"]:
        row.append(threshold)

    def top(field: str) -> Table:
        counter: collections.Counter = collections.Counter()
        for r in base:
            values = r[field] if isinstance(r[field], list) else [r[field]]
            counter.update(values)
        return table([field, "registrations"], sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:10])

    flag_rows = dcr_flag(events, inventory)
    return {
        "ds_base_dcr": table(
            ["_time", "tenant", "src", "client_id", "client_name", "redirect_domain"],
            (
                [iso(r["_time"]), r["tenant"], r["src"], r["client_id"], r["client_name"], _mv(r["redirect_domain"])]
                for r in base
            ),
        ),
        "ds_tenants": tenants(events),
        "ds_dcr_kpi_registrations": table(["registrations"], [[len(base)]]),
        "ds_dcr_kpi_sources": table(["source_ips"], [[len({r["src"] for r in base})]]),
        "ds_dcr_sliding": table(
            ["window_end", "tenant", "in_window", "src_ips", "names"],
            ([w["window_end"], w["tenant"], w["in_window"], _mv(w["src_ips"]), _mv(w["names"])] for w in sliding),
        ),
        "ds_dcr_kpi_peak": table(["peak"], [[max((w["in_window"] for w in sliding), default=0)]]),
        "ds_dcr_over_time": over,
        "ds_dcr_bursts": table(
            ["threshold_reached", "last_over_threshold", "tenant", "peak_in_window", "src_ips", "client_names"],
            dcr_bursts(sliding, threshold),
        ),
        "ds_dcr_top_ips": top("src"),
        "ds_dcr_client_names": top("client_name"),
        "ds_dcr_redirect_domains": top("redirect_domain"),
        "ds_dcr_clients_present": dcr_clients_present(inventory),
        "ds_dcr_flag": table(
            ["tenant", "dcr_enabled", "evidence", "as_of", "last_changed", "last_changed_by"], flag_rows
        ),
    }


def latest_snapshot(inventory: List[dict]) -> List[dict]:
    """``eventstats max(_time) as latest_snapshot by tenant | where _time=latest_snapshot`` (a snapshot's events
    share their time, collected_at)."""
    latest: Dict[str, str] = {}
    for item in inventory:
        latest[item["tenant"]] = max(latest.get(item["tenant"], ""), item["collected_at"])
    return [item for item in inventory if item["collected_at"] == latest[item["tenant"]]]


def dcr_clients_present(inventory: List[dict]) -> Table:
    rows = []
    for item in latest_snapshot(inventory):
        if item["object_type"] != "client" or "dcr_client" not in item.get("risk_findings", []):
            continue
        obj = item.get("object") or {}
        rows.append(
            [
                item["tenant"],
                item["object_id"],
                item.get("object_name"),
                obj.get("external_metadata_created_by") or "-",
                " ".join(obj.get("callbacks") or []) or "-",
                item.get("risk_severity"),
                ", ".join(item.get("risk_findings", [])),
                strftime(parse_date(item["collected_at"])),
            ]
        )
    if not rows:
        raise SystemExit("the demo inventory has no DCR-created client: run `make demo` (it writes inventory.jsonl)")
    return table(
        ["tenant", "client_id", "name", "created_by", "redirect_uris", "severity", "findings", "snapshot_time"],
        sorted(rows, key=lambda r: (r[0], r[2], r[1])),
    )


def dcr_flag(events: List[dict], inventory: List[dict]) -> List[list]:
    """Log changes of the flag, then the inventory's tenant settings; the latest record per tenant wins."""
    records = []
    for e in events:
        request = (e["data"].get("details") or {}).get("request") or {}
        flags = (request.get("body") or {}).get("flags") or {}
        if e["data"].get("description") == "Update tenant settings" and "enable_dynamic_client_registration" in flags:
            user = (request.get("auth") or {}).get("user") or {}
            who = nz(user.get("email")) or nz(e["data"].get("user_name")) or "unknown"
            records.append(
                (
                    e["_time"],
                    e["dvc"],
                    flags["enable_dynamic_client_registration"],
                    "log: Update tenant settings",
                    e["_time"],
                    who,
                )
            )
    for item in inventory:
        if item["object_type"] == "tenant_settings":
            enabled = item.get(
                "dcr_enabled", (item.get("object") or {}).get("flags", {}).get("enable_dynamic_client_registration")
            )
            t = parse_date(item["collected_at"])
            records.append((t, item["tenant"].split(".")[0], enabled, "inventory snapshot", None, None))
    rows = []
    for tenant in sorted({r[1] for r in records}):
        mine = sorted((r for r in records if r[1] == tenant), key=lambda r: r[0])
        changes = [r for r in mine if r[4] is not None]
        rows.append(
            [
                tenant,
                "enabled" if str(mine[-1][2]).lower() == "true" else "disabled",
                mine[-1][3],
                strftime(mine[-1][0]),
                strftime(changes[-1][4]) if changes else "-",
                changes[-1][5] if changes else "-",
            ]
        )
    return rows


def demo_alerts(events_path: str, events: List[dict], inventory: List[dict]) -> List[dict]:
    """The alerts the add-on's detections raise over the demo events, from the detections' own replay engine
    (tools/detections: pySigma's SQLite backend, the engine their tests use), with the demo watchlist."""
    from tools.detections import model
    from tools.detections.engine import Engine
    from tools.detections.events import read_jsonl

    watchlist = [{"client_id": k, "category": v["category"]} for k, v in demo_watchlist(events, inventory).items()]
    engine = Engine(read_jsonl(events_path), watchlist)
    return [dict(alert, detection=d.name) for d in model.load_all() for alert in engine.run(d)]


# -- view: overview ------------------------------------------------------------------------------------------------


def overview(events: List[dict], inventory: List[dict]) -> Dict[str, Table]:
    start, end = events[0]["_time"], events[-1]["_time"]
    now = end + 60  # the search runs a minute after the last event
    groups: Dict[tuple, dict] = {}
    for e in events:
        key = (bucket(e["_time"], HOUR), e["dvc"], e["auth0_category"])
        g = groups.setdefault(key, {"count": 0, "lag_sum": 0.0, "lag_max": 0.0, "last_event": 0.0})
        lag = e["_indextime"] - e["_time"]
        g["count"] += 1
        g["lag_sum"] += lag
        g["lag_max"] = max(g["lag_max"], lag)
        g["last_event"] = max(g["last_event"], e["_time"])
    base = [{"_time": t, "dvc": dvc, "auth0_category": cat, **g} for (t, dvc, cat), g in sorted(groups.items())]
    per_tenant = _group(base, ("dvc",))
    tenant_rows = []
    for (dvc,), rows in sorted(per_tenant.items()):
        n = sum(r["count"] for r in rows)
        last = max(r["last_event"] for r in rows)
        tenant_rows.append(
            [
                dvc,
                strftime(last),
                round((now - last) / 60),
                round(sum(r["lag_sum"] for r in rows) / n, 1),
                round(max(r["lag_max"] for r in rows)),
                n,
            ]
        )
    # timechart limit=8 useother=t: the 8 largest categories, the rest as OTHER
    totals = collections.Counter()
    for r in base:
        totals[r["auth0_category"]] += r["count"]
    keep = {c for c, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:8]}
    by_category = [
        dict(r, auth0_category=r["auth0_category"] if r["auth0_category"] in keep else "OTHER") for r in base
    ]
    logins = [r for r in base if r["auth0_category"] in ("Login - Success", "Login - Failure")]

    # _internal: one run a minute, each ingesting what Auth0 indexed during that minute
    domain = {e["dvc"]: e["host"] for e in events}
    ingest: Dict[tuple, int] = collections.Counter()
    for e in events:
        ingest[(bucket(e["_indextime"], HOUR), domain[e["dvc"]])] += 1
    health = [
        {"_time": t, "tenant": host, "input": DEMO_INPUT, "error_category": "none", "ingested": n, "errors": 0}
        for (t, host), n in sorted(ingest.items())
    ]
    inputs = [
        [host, dvc, sum(h["ingested"] for h in hs), 0, "-", "-"]
        for (host, dvc), hs in sorted(_group(health, ("tenant", "input")).items())
    ]

    # Enterprise Security notables (every detection has some, so no _audit row is kept): one per alert, with the
    # alert's tenant; a scheduled run finds it about 5 minutes after its last event
    alerts = collections.defaultdict(list)
    for alert in demo_alerts(EVENTS_PATH[0], events, inventory):
        tenant = nz(alert["group"].get("tenant")) or "unknown"
        alerts[(alert["detection"], tenant)].append(parse_date(alert["last_seen"]) + 300)
    fired = [[name, tenant, len(times), strftime(max(times))] for (name, tenant), times in alerts.items()]
    fired.sort(key=lambda r: r[3], reverse=True)
    return {
        "ds_base_overview": table(
            ["_time", "dvc", "auth0_category", "count", "lag_sum", "lag_max", "last_event"],
            (
                [
                    iso(r["_time"]),
                    r["dvc"],
                    r["auth0_category"],
                    r["count"],
                    round(r["lag_sum"], 3),
                    round(r["lag_max"], 3),
                    r["last_event"],
                ]
                for r in base
            ),
        ),
        "ds_base_health": table(
            ["_time", "tenant", "input", "error_category", "ingested", "errors"],
            (
                [iso(h["_time"]), h["tenant"], h["input"], h["error_category"], h["ingested"], h["errors"]]
                for h in health
            ),
        ),
        "ds_base_detections": table(["detection", "tenant", "fired", "last_fired"], fired),
        "ds_tenants": tenants(events),
        "ds_ov_kpi_events": table(["events"], [[len(events)]]),
        "ds_ov_kpi_login_failures": table(
            ["failures"], [[sum(r["count"] for r in base if r["auth0_category"] == "Login - Failure")]]
        ),
        "ds_ov_kpi_detections": table(["fired"], [[sum(r[2] for r in fired)]]),
        "ds_ov_kpi_input_errors": table(["errors"], [[0]]),
        "ds_ov_tenants": table(
            [
                "tenant",
                "last_event",
                "minutes_since_last_event",
                "avg_ingestion_lag_s",
                "max_ingestion_lag_s",
                "events",
            ],
            tenant_rows,
        ),
        "ds_ov_by_category": timechart(by_category, HOUR, lambda r: r["count"], "auth0_category", start, end),
        "ds_ov_logins": timechart(logins, HOUR, lambda r: r["count"], "auth0_category", start, end),
        "ds_ov_detections": table(["detection", "tenant", "fired", "last_fired"], fired[:10]),
        "ds_ov_inputs": table(
            ["tenant", "input", "events_ingested", "errors", "error_categories", "last_error"], inputs
        ),
        "ds_ov_ingestion": _ingestion(health, start, end),
    }


def _ingestion(health: List[dict], start: float, end: float) -> Table:
    ingested = timechart(health, HOUR, lambda h: h["ingested"], None, start, end, rename="events ingested")
    ingested["fields"].append("input errors")
    for row in ingested["rows"]:
        row.append(0)
    return ingested


DERIVATIONS: Dict[str, Callable[[List[dict], List[dict]], Dict[str, Table]]] = {
    "auth0_copied_credentials": credentials,
    "auth0_dcr": dcr,
    "auth0_overview": overview,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default=DEFAULT_EVENTS, help="demo events (make demo)")
    parser.add_argument("--inventory", default=DEFAULT_INVENTORY, help="demo inventory snapshot (make demo)")
    parser.add_argument("--out", default=FIXTURES_DIR)
    args = parser.parse_args(argv)
    if not os.path.exists(args.events):
        raise SystemExit(f"{args.events} is missing: run `make demo` first")
    EVENTS_PATH[0] = args.events
    events = load_events(args.events)
    inventory = load_inventory(args.inventory)
    views = {v.name: v for v in load_views() if v.name in DERIVATIONS}
    for name, derive in DERIVATIONS.items():
        fixtures = derive(events, inventory)
        expected = set(views[name].data_sources)
        if set(fixtures) != expected:
            raise SystemExit(f"{name}: fixtures {sorted(set(fixtures) ^ expected)} do not match the data sources")
        path = os.path.join(args.out, name + ".json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "source": "demo scenario (make demo), derived by tests/dashboards/derive_fixtures.py",
                    "dataSources": dict(sorted(fixtures.items())),
                },
                handle,
                indent=1,
            )
            handle.write("\n")
        print(f"{os.path.relpath(path, ROOT)}: {len(fixtures)} data sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
