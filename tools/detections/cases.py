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
"""

import copy
import datetime
import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List

import yaml

BASE_TIME = datetime.datetime(2026, 1, 5, 10, 0, 0, tzinfo=datetime.timezone.utc)


@dataclass
class Case:
    name: str
    envelopes: List[Dict[str, Any]]
    expect: List[List[str]]
    watchlist: List[Dict[str, str]] = field(default_factory=list)
    lookups: Dict[str, List[str]] = field(default_factory=dict)

    @property
    def ids(self) -> List[str]:
        return [envelope["log_id"] for envelope in self.envelopes]

    def expected(self) -> List[List[str]]:
        alerts = []
        for globs in self.expect:
            ids = sorted({i for pattern in globs for i in self.ids if fnmatch.fnmatchcase(i, str(pattern))})
            if not ids:
                raise ValueError(f"case {self.name!r}: {globs} names no event")
            alerts.append(ids)
        return sorted(alerts)


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


def build_events(specs: List[Dict[str, Any]], defaults: Dict[str, Any]) -> List[Dict[str, Any]]:
    envelopes = []
    for index, spec in enumerate(specs):
        repeat = int(spec.get("repeat", 1))
        label = spec.get("id", f"e{index}")
        if not isinstance(label, str):
            raise ValueError(f"event id {label!r} is not a string (YAML reads on/off/yes/no as booleans: quote it)")
        start = moment(spec.get("at"))
        for n in range(1, repeat + 1):
            log_id = f"{label}{n}" if repeat > 1 else label
            data = merge(expand_keys(copy.deepcopy(defaults.get("data") or {})), expand_keys(spec.get("data") or {}))
            data = number_in(data, n)
            when = start + datetime.timedelta(seconds=float(spec.get("every", 60)) * (n - 1))
            data.setdefault("date", iso(when))
            data["log_id"] = log_id
            envelopes.append({"log_id": log_id, "data": data})
    return envelopes


def load(path: str) -> List[Case]:
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    defaults = document.get("defaults") or {}
    cases = []
    for raw in document.get("cases") or []:
        envelopes = build_events(raw.get("events") or [], defaults)
        ids = [e["log_id"] for e in envelopes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{path}: case {raw.get('name')!r} repeats a log_id")
        cases.append(
            Case(
                name=str(raw["name"]),
                envelopes=envelopes,
                expect=[list(alert) for alert in raw.get("expect") or []],
                watchlist=list(raw.get("watchlist") or []),
                lookups=dict(raw.get("lookups") or {}),
            )
        )
    return cases


def tests_path(detection) -> str:
    return os.path.join(os.path.dirname(detection.path), "tests.yml")
