"""Splunk's results of a saved search against the SQLite engine's alerts for the same events.

An alert is identified by the events it names: ``log_ids`` for log detections, ``object_ids`` and
``snapshot_ids`` for the posture (inventory) detections. Splunk keeps at most the first 100 of each
(``values()`` sorts them, ``mvindex(..., 0, 99)``), so the reference's lists are cut the same way. Each Splunk row
must be one reference alert and each reference alert one row; for every pair the group-by fields (the reference's
``group``: ``tenant``, ``src``, ...) must hold the same values, and when the row has a ``severity`` (escalating
correlations) it must be the reference's.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

MAX_IDS = 100
Value = Union[None, str, Tuple[str, ...]]


def id_fields(inventory: bool) -> Tuple[str, ...]:
    return ("object_ids", "snapshot_ids") if inventory else ("log_ids",)


def normalize(value: Any) -> Value:
    """A field value as Splunk's JSON output gives it: text, a sorted tuple for a multivalue field, None for
    nothing (no field, empty text, no values)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        items = sorted({text for text in (normalize(item) for item in value) if isinstance(text, str)})
        if not items:
            return None
        return items[0] if len(items) == 1 else tuple(items)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text != "" else None


def ids_of(value: Any) -> Tuple[str, ...]:
    found = normalize(value)
    if found is None:
        return ()
    return (found,) if isinstance(found, str) else found


@dataclass
class Alert:
    ids: Tuple[Tuple[str, ...], ...]
    group: Dict[str, Value] = field(default_factory=dict)
    severity: Optional[str] = None

    def describe(self, names: Tuple[str, ...]) -> str:
        ids = " ".join(f"{name}={list(values)}" for name, values in zip(names, self.ids))
        group = ", ".join(f"{key}={value!r}" for key, value in sorted(self.group.items()))
        return f"{ids} ({group})" if group else ids


def from_reference(alert: Dict[str, Any], inventory: bool) -> Alert:
    ids = tuple(tuple(sorted(str(i) for i in alert.get(name) or []))[:MAX_IDS] for name in id_fields(inventory))
    group = {key: normalize(value) for key, value in (alert.get("group") or {}).items()}
    return Alert(ids=ids, group=group, severity=alert.get("severity"))


def from_splunk(row: Dict[str, Any], inventory: bool, group_keys: List[str]) -> Alert:
    ids = tuple(ids_of(row.get(name)) for name in id_fields(inventory))
    group = {key: normalize(row.get(key)) for key in group_keys}
    severity = normalize(row.get("severity"))
    return Alert(ids=ids, group=group, severity=severity if isinstance(severity, str) else None)


def compare(reference: List[Dict[str, Any]], rows: List[Dict[str, Any]], inventory: bool) -> List[str]:
    """The differences between the reference alerts and Splunk's rows (empty: they agree)."""
    names = id_fields(inventory)
    expected = [from_reference(alert, inventory) for alert in reference]
    keys = sorted({key for alert in expected for key in alert.group})
    found = [from_splunk(row, inventory, keys) for row in rows]
    differences = []
    unmatched: Dict[Tuple[Tuple[str, ...], ...], List[Alert]] = {}
    for row, alert in zip(rows, found):
        if not any(alert.ids):
            differences.append(f"Splunk row without {'/'.join(names)}: {_short(row)}")
            continue
        unmatched.setdefault(alert.ids, []).append(alert)
    for want in expected:
        candidates = unmatched.get(want.ids) or []
        if not candidates:
            differences.append(f"missing in Splunk: {want.describe(names)}")
            continue
        got = candidates.pop(0)
        for key in keys:
            if key in want.group and got.group.get(key) != want.group[key]:
                differences.append(
                    f"{want.describe(names)}: {key} is {got.group.get(key)!r} in Splunk, {want.group[key]!r} expected"
                )
        if got.severity is not None and want.severity is not None and got.severity != want.severity:
            differences.append(
                f"{want.describe(names)}: severity {got.severity!r} in Splunk, {want.severity!r} expected"
            )
    for leftovers in unmatched.values():
        differences.extend(f"only in Splunk: {alert.describe(names)}" for alert in leftovers)
    return differences


def _short(row: Dict[str, Any], limit: int = 300) -> str:
    text = ", ".join(f"{key}={value!r}" for key, value in sorted(row.items()) if not key.startswith("_"))
    return text if len(text) <= limit else text[: limit - 3] + "..."
