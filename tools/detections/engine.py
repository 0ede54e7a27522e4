"""Runs detections over events in SQLite with pySigma's SQLite backend: the engine of the tests and of replay.

* event rules: the backend's query, then (``state``) the latest event per key, then (``post``) the rule's extra
  SQL step; the matched events are grouped by the alert's fields (``GROUP BY``), one alert per group, as the
  saved search's ``stats ... by`` does;
* correlation rules: the backend's correlation query (sliding windows: ``RANGE BETWEEN <timespan> PRECEDING AND
  CURRENT ROW``), one row per qualifying window; windows of the same group that overlap are merged into one alert,
  as the saved search reports one row per group of its dispatch window.

Log rules run over table ``logs`` (the envelopes), inventory rules over table ``inventory`` (the inventory events,
see :mod:`tools.detections.events`); an alert lists its events' ids (``log_ids``, or for inventory rules
``event_ids`` with the ``object_ids`` and ``snapshot_ids`` they stand for).
"""

import copy
import json
import re
import sqlite3
from typing import Any, Dict, Iterable, List, Optional, Sequence

from sigma.collection import SigmaCollection

from tools.detections import events as ev
from tools.detections import placeholders
from tools.detections.backends import Auth0SQLiteBackend
from tools.detections.model import Detection
from tools.detections.sources import Source
from tools.detections.spl import friendly

UNKNOWN = "unknown"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _fields_of(documents: Sequence[Dict[str, Any]]) -> List[str]:
    found = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key != "condition":
                    found.append(str(key).split("|")[0])
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for document in documents:
        visit(document.get("detection") or {})
        found.extend((document.get("correlation") or {}).get("group-by") or [])
        condition = (document.get("correlation") or {}).get("condition") or {}
        if isinstance(condition, dict) and condition.get("field"):
            found.append(condition["field"])
    return [name for name in found if "." in name or name in ("log_id", "_time")]


def _rule_fields(documents: Sequence[Dict[str, Any]]) -> List[str]:
    """The field names a rule's detections, group-by and correlation condition use (inventory fields are flat, so
    unlike :func:`_fields_of` this does not rely on the ``data.`` prefix to tell fields from search identifiers)."""
    found = []
    for document in documents:
        for name, search in (document.get("detection") or {}).items():
            if name == "condition":
                continue
            for item in search if isinstance(search, list) else [search]:
                if isinstance(item, dict):
                    found.extend(str(key).split("|")[0] for key in item)
        correlation = document.get("correlation") or {}
        found.extend(correlation.get("group-by") or [])
        condition = correlation.get("condition") or {}
        if isinstance(condition, dict) and condition.get("field"):
            found.append(condition["field"])
    return found


def sql_params(text: str, detection: Detection) -> str:
    for name, value in detection.params.items():
        text = text.replace("{" + name + "}", str(value))
    return text


class Engine:
    """One SQLite database of events; run any detection over it."""

    def __init__(
        self,
        envelopes: Iterable[Dict[str, Any]],
        watchlist: Iterable[Dict[str, str]] = (),
        lookups: Optional[Dict[str, List[str]]] = None,
        inventory: Iterable[Dict[str, Any]] = (),
    ):
        self.connection = ev.connect()
        self.stats = ev.load(self.connection, envelopes)
        self.inventory_stats = ev.load_inventory(self.connection, inventory)
        self.watchlist = list(watchlist)
        self.lookups = dict(lookups or {})
        self._load_lookup_tables()

    def _load_lookup_tables(self) -> None:
        """Lookup tables for ``post`` SQL: ``lookup_<name>`` with the lookup's columns."""
        for lookup in placeholders.LOOKUPS.values():
            table = "lookup_" + lookup.name
            columns = ", ".join(f"{_quote(c)} COLLATE NOCASE" for c in lookup.columns)
            self.connection.execute(f"CREATE TABLE {table} ({columns})")
            if lookup.name in self.lookups:
                rows = [{lookup.column: value} for value in self.lookups[lookup.name]]
            else:
                rows = lookup.rows()
            self.connection.executemany(
                f"INSERT INTO {table} VALUES ({', '.join('?' for _ in lookup.columns)})",
                [[row.get(c) for c in lookup.columns] for row in rows],
            )

    # -- helpers ------------------------------------------------------------------------------------------------
    def _prepare(self, detection: Detection) -> None:
        names = set(_fields_of(detection.documents)) | set(detection.group_by)
        names |= set(re.findall(r"`([^`]+)`", detection.post.get("sql", "") + detection.post.get("where", "")))
        names |= set((detection.meta.get("state") or {}).get("key") or [])
        names |= {m for spec in detection.derive.values() for m in re.findall(r"`([^`]+)`", spec["sql"])}
        names |= {spec["field"] for spec in detection.window["aggregates"].values()}
        table = detection.source.table
        if detection.is_inventory:  # flat field names: no "." to tell them from search identifiers
            names = (names - set(_fields_of(detection.documents))) | set(_rule_fields(detection.documents))
            wanted = [n for n in names if not n.startswith("lookup_")]
        else:
            wanted = [n for n in names if not n.startswith("lookup_") and "." in n]
        ev.ensure_columns(self.connection, wanted, table)
        for name, spec in detection.derive.items():
            ev.ensure_columns(self.connection, [name], table)
            self.connection.execute(f"UPDATE {table} SET {_quote(name)} = ({spec['sql']})")

    def _backend(self, detection: Detection) -> Auth0SQLiteBackend:
        pipeline = placeholders.sqlite_pipeline(detection.placeholders, self.watchlist, self.lookups)
        source = detection.source
        return Auth0SQLiteBackend(pipeline, table=source.table, event_id_field=source.id_field)

    def _query(self, sql: str) -> List[Dict[str, Any]]:
        cursor = self.connection.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor]

    def core_sql(self, detection: Detection, condition: Optional[str] = None) -> str:
        """The backend's query for the detection's (only) rule, optionally with another condition."""
        document = copy.deepcopy(detection.documents[-1])
        if condition is not None:
            document["detection"]["condition"] = condition
        collection = SigmaCollection.from_dicts([document])
        (query,) = self._backend(detection).convert_rule(list(collection)[-1])
        return query

    # -- running ------------------------------------------------------------------------------------------------
    def matched_events(self, detection: Detection) -> List[Dict[str, Any]]:
        """Event rules: the events that alert (before grouping)."""
        self._prepare(detection)
        return self._query(self.event_sql(detection))

    def event_sql(self, detection: Detection) -> str:
        core = self.core_sql(detection)
        state = detection.meta.get("state")
        if state:
            scope = self.core_sql(detection, state["scope"])
            keys = ", ".join(f"COALESCE({_quote(k)}, '-')" for k in state["key"])
            where = core.split(" WHERE ", 1)[1]
            row_id = _quote(detection.source.id_field)
            core = (
                f"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY {keys} "
                f"ORDER BY `_time` DESC, {row_id} DESC) AS auth0_rank FROM ({scope})) "
                f"WHERE auth0_rank = 1 AND ({where})"
            )
        post = detection.post
        if post.get("sql"):
            core = sql_params(post["sql"], detection).replace("{core}", core)
        elif post.get("where"):
            core = f"SELECT * FROM ({core}) AS m WHERE {sql_params(post['where'], detection)}"
        return core

    def run(self, detection: Detection) -> List[Dict[str, Any]]:
        if detection.is_correlation:
            return self._run_correlation(detection)
        self._prepare(detection)
        groups = [f"COALESCE(CAST({_quote(g)} AS TEXT), '{UNKNOWN}')" for g in detection.group_by]
        columns = ", ".join(f"{expr} AS g{i}" for i, expr in enumerate(groups))
        sql = (
            f"SELECT {columns}, json_group_array({_quote(detection.source.id_field)}) AS log_ids, COUNT(*) AS count, "
            f"MIN(`_time`) AS first, MAX(`_time`) AS last FROM ({self.event_sql(detection)}) "
            f"GROUP BY {', '.join(groups)} ORDER BY first"
        )
        alerts = []
        for row in self._query(sql):
            group = {friendly(g): row[f"g{i}"] for i, g in enumerate(detection.group_by)}
            alerts.append(self._alert(detection, group, json.loads(row["log_ids"]), row["first"], row["last"]))
        return alerts

    def _run_correlation(self, detection: Detection) -> List[Dict[str, Any]]:
        self._prepare(detection)
        query = self._backend(detection).convert(detection.fresh_collection())[-1]
        try:
            rows = self._query(query)
        except sqlite3.OperationalError as error:
            raise RuntimeError(f"{detection.slug}: {error}") from error
        windows: Dict[str, List[List[Any]]] = {}
        for row in rows:
            ids = [event_id.split(":", 1)[1] for event_id in json.loads(row["event_ids"])]
            verdict = self._window_terms(detection, ids, row["metric_value"])
            if verdict is None:
                continue
            windows.setdefault(row["group_keys"], []).append(
                [row["window_start"], row["window_end"], set(ids), verdict]
            )
        alerts = []
        for spans in windows.values():
            spans.sort(key=lambda span: span[0])
            merged: List[List[Any]] = []
            for span in spans:
                if merged and span[0] <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], span[1])
                    merged[-1][2] |= span[2]
                    merged[-1][3] = merged[-1][3] or span[3]
                else:
                    merged.append(span)
            for _start, _end, ids, escalated in merged:
                alert = self._correlation_alert(detection, sorted(ids))
                if escalated:
                    alert["severity"] = detection.window["escalate"]["level"]
                alerts.append(alert)
        alerts.sort(key=lambda alert: (alert["first_seen"], self.ids(alert)))
        return alerts

    def _window_terms(self, detection: Detection, ids: List[str], metric: Any) -> Optional[bool]:
        """A window's extra terms (``window:``) over its events: None when ``where`` rejects the window, else
        whether it escalates."""
        window = detection.window
        if not window["aggregates"] and not window.get("where") and not window.get("escalate"):
            return False
        source = detection.source
        columns = []
        for name, spec in window["aggregates"].items():
            field = _quote(spec["field"])
            if spec["function"] == "distinct":
                columns.append(f"COUNT(DISTINCT {field}) AS {_quote(name)}")
            else:
                function = "MIN" if spec["function"] == "first" else "MAX"
                columns.append(f"{function}(CASE WHEN {field} IS NOT NULL THEN `_time` END) AS {_quote(name)}")
        columns.append("? AS auth0_window_count")
        marks = ", ".join("?" for _ in ids)
        terms = f"SELECT {', '.join(columns)} FROM {source.table} WHERE {_quote(source.id_field)} IN ({marks})"
        where = window.get("where") or "1"
        when = (window.get("escalate") or {}).get("when") or "0"
        verdict = self.connection.execute(f"SELECT ({where}), ({when}) FROM ({terms})", [metric, *ids]).fetchone()
        if not verdict[0]:
            return None
        return bool(verdict[1])

    def _correlation_alert(self, detection: Detection, log_ids: List[str]) -> Dict[str, Any]:
        marks = ", ".join("?" for _ in log_ids)
        cols = ", ".join(_quote(g) for g in detection.group_by)
        source = detection.source
        rows = self.connection.execute(
            f"SELECT `_time`{', ' + cols if cols else ''} FROM {source.table} "
            f"WHERE {_quote(source.id_field)} IN ({marks}) ORDER BY `_time`",
            log_ids,
        ).fetchall()
        group = {friendly(g): rows[0][i + 1] for i, g in enumerate(detection.group_by)}
        return self._alert(detection, group, log_ids, rows[0][0], rows[-1][0])

    @staticmethod
    def ids(alert: Dict[str, Any]) -> List[str]:
        """The ids of an alert's events: ``log_ids`` of a log rule, ``event_ids`` of an inventory rule."""
        return alert["log_ids"] if "log_ids" in alert else alert["event_ids"]

    def _alert(self, detection: Detection, group: Dict[str, Any], ids: List[str], first: float, last: float):
        alert = {
            "detection": detection.name,
            "id": str(detection.rule.id),
            "severity": detection.level,
            "mitre_attack": detection.mitre,
            "group": group,
            "count": len(ids),
            "first_seen": ev_time(first),
            "last_seen": ev_time(last),
        }
        if detection.is_inventory:
            alert.update(self._inventory_ids(detection.source, ids))
        else:
            alert["log_ids"] = sorted(ids)
        return alert

    def _inventory_ids(self, source: Source, ids: List[str]) -> Dict[str, List[str]]:
        marks = ", ".join("?" for _ in ids)
        rows = self.connection.execute(
            f"SELECT `object_id`, `snapshot_id` FROM {source.table} WHERE {_quote(source.id_field)} IN ({marks})", ids
        ).fetchall()
        return {
            "object_ids": sorted({str(r[0]) for r in rows if r[0] is not None}),
            "snapshot_ids": sorted({str(r[1]) for r in rows if r[1] is not None}),
            "event_ids": sorted(ids),
        }


def ev_time(epoch: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
