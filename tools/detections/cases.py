"""Test cases of a detection: ``detections/<name>/tests.yml``.

::

    defaults:                      # merged into every event (deep merge; "a.b.c" keys are nested paths)
      data: {type: sapi, description: Dynamic client registration, tenant_name: acme}
    cases:
      - name: 15 registrations straddling 10:00 alert
        watchlist: [{client_id: abc, category: critical}]      # optional: the auth0_client_watchlist rows
        lookups: {auth0_dcr_source_allowlist: [10.0.0.0/8]}    # optional: replaces a shipped lookup's rows
        events:
          - id: r                  # log_id; with repeat: r1, r2, ... ("{n}" in any string is the number)
            at: "2026-01-05T09:40:00Z"   # or seconds after 2026-01-05T10:00:00Z (a Monday); default 0
            repeat: 15
            every: 160             # seconds between repeats
            data: {ip: 203.0.113.7}
        expect: [[r*]]             # the alerts: each the log_ids (globs) it must hold, exactly; [] = no alert

Every case must match its ``expect`` exactly: as many alerts, each with exactly those events.

Inventory rules (``logsource: {product: auth0, service: inventory}``) take inventory events instead: ``event``
where a log rule has ``data`` (in ``defaults`` too), the flat JSON of the inventory input (docs/inventory.md)::

    defaults:
      event: {tenant: acme.us.auth0.com, object_type: client}
    cases:
      - name: a widened grant alerts
        events:
          - {id: before, at: 0, event: {object_id: m2m1, management_api_scope_fingerprint: aaaa}}
          - {id: after, at: 21600, event: {object_id: m2m1, management_api_scope_fingerprint: bbbb}}
        expect: [[before, after]]

``id`` names the event (its ``event_id``), ``at`` sets ``collected_at`` (the snapshot's time, the event time) and,
unless the event gives one, ``snapshot_id`` (one snapshot per moment).
"""

import copy
import datetime
import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import yaml

BASE_TIME = datetime.datetime(2026, 1, 5, 10, 0, 0, tzinfo=datetime.timezone.utc)


@dataclass
class Case:
    name: str
    envelopes: List[Dict[str, Any]]
    expect: List[Any]
    watchlist: List[Dict[str, str]] = field(default_factory=list)
    lookups: Dict[str, List[str]] = field(default_factory=dict)
    inventory: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def ids(self) -> List[str]:
        return [envelope["log_id"] for envelope in self.envelopes] + [event["event_id"] for event in self.inventory]

    def expected(self) -> List[List[str]]:
        return sorted(ids for ids, _ in self.expected_alerts())

    def expected_alerts(self) -> List[Tuple[List[str], Optional[str]]]:
        """(ids, severity or None) of each expected alert: an ``expect`` entry is a list of id globs, or
        ``{ids: [...], severity: <level>}`` when the alert's severity is part of the expectation."""
        alerts = []
        for entry in self.expect:
            globs, severity = (entry["ids"], entry.get("severity")) if isinstance(entry, dict) else (entry, None)
            ids = sorted({i for pattern in globs for i in self.ids if fnmatch.fnmatchcase(i, str(pattern))})
            if not ids:
                raise ValueError(f"case {self.name!r}: {globs} names no event")
            alerts.append((ids, severity))
        return sorted(alerts, key=lambda alert: alert[0])


def expand_keys(data: Any) -> Any:
    if isinstance(data, list):
        return [expand_keys(item) for item in data]
    if not isinstance(data, dict):
        return data
    result: Dict[str, Any] = {}
    for key, value in data.items():
        parts = str(key).split(".")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        merge(target, {parts[-1]: expand_keys(value)})
    return result


def merge(target: Dict[str, Any], extra: Dict[str, Any]) -> Dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def number_in(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.replace("{n}", str(n))
    if isinstance(value, list):
        return [number_in(item, n) for item in value]
    if isinstance(value, dict):
        return {key: number_in(item, n) for key, item in value.items()}
    return value


def moment(value: Any) -> datetime.datetime:
    if value is None:
        return BASE_TIME
    if isinstance(value, (int, float)):
        return BASE_TIME + datetime.timedelta(seconds=value)
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def iso(when: datetime.datetime) -> str:
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def build_events(specs: List[Dict[str, Any]], defaults: Dict[str, Any], key: str = "data") -> List[Dict[str, Any]]:
    """Log Streams envelopes (``key="data"``) or inventory events (``key="event"``) from a case's event specs."""
    built = []
    for index, spec in enumerate(specs):
        repeat = int(spec.get("repeat", 1))
        label = spec.get("id", f"e{index}")
        if not isinstance(label, str):
            raise ValueError(f"event id {label!r} is not a string (YAML reads on/off/yes/no as booleans: quote it)")
        start = moment(spec.get("at"))
        for n in range(1, repeat + 1):
            event_id = f"{label}{n}" if repeat > 1 else label
            body = merge(expand_keys(copy.deepcopy(defaults.get(key) or {})), expand_keys(spec.get(key) or {}))
            body = number_in(body, n)
            when = start + datetime.timedelta(seconds=float(spec.get("every", 60)) * (n - 1))
            if key == "event":
                body.setdefault("collected_at", iso(when))
                body.setdefault("snapshot_id", "snapshot-" + when.strftime("%Y%m%dT%H%M%S"))
                body["event_id"] = event_id
                built.append(body)
                continue
            body.setdefault("date", iso(when))
            body["log_id"] = event_id
            built.append({"log_id": event_id, "data": body})
    return built


def is_inventory(document: Dict[str, Any]) -> bool:
    """A tests.yml of an inventory rule: its events are ``event:`` (inventory events), not ``data:``."""
    defaults = document.get("defaults") or {}
    specs = [spec for raw in document.get("cases") or [] for spec in raw.get("events") or []]
    inventory = "event" in defaults or any("event" in spec for spec in specs)
    if inventory and ("data" in defaults or any("data" in spec for spec in specs)):
        raise ValueError("a tests.yml holds either log events (data:) or inventory events (event:), not both")
    return inventory


def load(path: str) -> List[Case]:
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    defaults = document.get("defaults") or {}
    inventory = is_inventory(document)
    cases = []
    for raw in document.get("cases") or []:
        built = build_events(raw.get("events") or [], defaults, "event" if inventory else "data")
        case = Case(
            name=str(raw["name"]),
            envelopes=[] if inventory else built,
            expect=[dict(alert) if isinstance(alert, dict) else list(alert) for alert in raw.get("expect") or []],
            watchlist=list(raw.get("watchlist") or []),
            lookups=dict(raw.get("lookups") or {}),
            inventory=built if inventory else [],
        )
        if len(set(case.ids)) != len(case.ids):
            raise ValueError(f"{path}: case {raw.get('name')!r} repeats an event id")
        cases.append(case)
    return cases


def tests_path(detection) -> str:
    return os.path.join(os.path.dirname(detection.path), "tests.yml")
