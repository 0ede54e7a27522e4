"""Executes the SPL pipelines of the inventory searches over fixtures: the commands they use, nothing else.

Search expressions and eval/where expressions are evaluated by the knowledge tools' SPL models
(``tools/knowledge/spl_search.py``, ``tools/knowledge/spl_eval.py``); this module adds the commands:
``eventstats max|min(<f>) as <name>, ... by <field>``, ``where``, ``eval a=..., b=...`` (left to right),
``table``, ``fields - <glob>``, ``inputlookup append=true <kv>`` and ``outputlookup append=true <kv>`` (the KV
store: documents with the same ``_key`` are replaced, others inserted). Anything else raises ``SplError``.
"""

import fnmatch
import re
from typing import Any, Dict, List

from tools.knowledge import spl_eval, spl_search


class SplError(Exception):
    pass


def split_top_level(text: str, separator: str = ",") -> List[str]:
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def commands(search: str) -> List[str]:
    lines = [line.strip() for line in search.split("\n") if line.strip()]
    if not lines or lines[0].startswith("|"):
        raise SplError("a search starts with a search expression")
    for line in lines[1:]:
        if not line.startswith("| "):
            raise SplError(f"one command per line: {line!r}")
    return [lines[0]] + [line[2:] for line in lines[1:]]


def _number(value: Any):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _aggregate(function: str, values: List[Any]) -> Any:
    values = [v for v in values if v is not None]
    if not values:
        return None
    numbers = [_number(v) for v in values]
    if all(n is not None for n in numbers):
        pick = max(numbers) if function == "max" else min(numbers)
        return int(pick) if float(pick).is_integer() else pick
    texts = [str(v) for v in values]
    return max(texts) if function == "max" else min(texts)


class Pipeline:
    def __init__(self, macros: Dict[str, str], kvstore: Dict[str, List[Dict[str, Any]]]):
        self.macros = macros
        self.kvstore = kvstore

    def run(self, search: str, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        steps = commands(search)
        rows = [dict(e) for e in events if spl_search.matches(steps[0], e, self.macros)]
        for step in steps[1:]:
            name, _, rest = step.partition(" ")
            handler = getattr(self, "_" + name, None)
            if handler is None:
                raise SplError(f"command not modelled: {name}")
            rows = handler(rest.strip(), rows)
        return rows

    def _eventstats(self, text: str, rows):
        match = re.fullmatch(r"(.+?)\s+by\s+([A-Za-z_][\w.]*)", text)
        if not match:
            raise SplError(f"eventstats needs '... by <field>': {text}")
        aggregations = []
        for part in split_top_level(match.group(1)):
            agg = re.fullmatch(r"(max|min)\(([\w.]+)\)\s+as\s+(\w+)", part)
            if not agg:
                raise SplError(f"aggregation not modelled: {part}")
            aggregations.append(agg.groups())
        by = match.group(2)
        groups: Dict[Any, List[Dict[str, Any]]] = {}
        for row in rows:
            if row.get(by) is not None:  # like stats, rows without the by field are not grouped
                groups.setdefault(row[by], []).append(row)
        for members in groups.values():
            for function, field, name in aggregations:
                value = _aggregate(function, [m.get(field) for m in members])
                for member in members:
                    if value is None:
                        member.pop(name, None)
                    else:
                        member[name] = value
        return rows

    def _where(self, text: str, rows):
        node = spl_eval.parse(text)
        return [row for row in rows if spl_eval.Evaluator(row).evaluate(node) is True]

    def _eval(self, text: str, rows):
        assignments = []
        for part in split_top_level(text):
            match = re.fullmatch(r"([A-Za-z_][\w]*)\s*=(?!=)\s*(.+)", part, re.S)
            if not match:
                raise SplError(f"not an assignment: {part}")
            assignments.append((match.group(1), spl_eval.parse(match.group(2))))
        for row in rows:
            for name, node in assignments:
                value = spl_eval.Evaluator(row).evaluate(node)
                if value is None:
                    row.pop(name, None)
                else:
                    row[name] = int(value) if isinstance(value, float) and value.is_integer() else value
        return rows

    def _table(self, text: str, rows):
        names = split_top_level(text)
        return [{name: row[name] for name in names if name in row} for row in rows]

    def _fields(self, text: str, rows):
        if not text.startswith("- "):
            raise SplError("only 'fields - <pattern>' is modelled")
        patterns = split_top_level(text[2:])
        return [{k: v for k, v in row.items() if not any(fnmatch.fnmatchcase(k, p) for p in patterns)} for row in rows]

    def _inputlookup(self, text: str, rows):
        match = re.fullmatch(r"append=true\s+(\w+)", text)
        if not match:
            raise SplError("only 'inputlookup append=true <name>' is modelled")
        return rows + [dict(row) for row in self.kvstore.get(match.group(1), [])]

    def _outputlookup(self, text: str, rows):
        match = re.fullmatch(r"append=true\s+(\w+)", text)
        if not match:
            raise SplError("only 'outputlookup append=true <name>' is modelled (never a full rewrite)")
        collection = self.kvstore.setdefault(match.group(1), [])
        position = {doc.get("_key"): index for index, doc in enumerate(collection)}
        for row in rows:
            if not row.get("_key"):
                raise SplError("a row without _key would be inserted with a generated key")
            if row["_key"] in position:
                collection[position[row["_key"]]] = dict(row)
            else:
                position[row["_key"]] = len(collection)
                collection.append(dict(row))
        return rows
