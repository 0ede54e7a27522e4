"""``stats``, ``eventstats`` and ``streamstats``: their arguments and their aggregation functions.

Semantics modelled (Splunk's command reference):

* a result without one of the ``by`` fields is left out (``stats``: dropped; ``eventstats``/``streamstats``: passed
  on without the new fields); a multivalue ``by`` field puts the result in the group of each of its values;
* ``count`` counts results, ``count(x)``/``dc(x)``/``values(x)``/``sum``/``min``/``max`` read every value of a
  multivalue field; ``values`` is distinct and in lexicographic order; ``min``/``max`` compare numbers
  numerically when there are any, otherwise strings;
* ``stats`` without ``by`` returns one result even over no input (``count`` 0);
* ``streamstats time_window=<span>`` needs results in time order and keeps one window for all groups, holding the
  results of the last ``<span>`` but at most ``max_stream_window`` (10,000) of them: past that the oldest leave
  the window even when they are inside the span (limits.conf ``[stats] max_stream_window``).
"""

import itertools
import re
from collections import Counter, deque
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

from tools.detections.model import parse_span
from tools.spl_engine.values import Row, SplError, field_value, number, unquote, values_of

MAX_STREAM_WINDOW = 10_000
FUNCTIONS = ("count", "dc", "values", "min", "max", "sum")
_AGGREGATION = re.compile(
    r"""\s*,?\s*(?P<function>[A-Za-z_]+)(?:\((?P<field>"[^"]*"|[^)]*)\))?(?:\s+as\s+(?P<alias>"[^"]*"|[^\s,]+))?""",
    re.IGNORECASE,
)


class Aggregation(NamedTuple):
    function: str
    field: Optional[str]
    alias: str


class StatsSpec(NamedTuple):
    aggregations: List[Aggregation]
    by: List[str]
    options: Dict[str, str]


def _split_by(text: str) -> Tuple[str, str]:
    quote = False
    depth = 0
    for index, char in enumerate(text):
        if char == '"':
            quote = not quote
        elif not quote and char == "(":
            depth += 1
        elif not quote and char == ")":
            depth -= 1
        elif not quote and depth == 0 and text[index : index + 4].lower() == " by " and index > 0:
            return text[:index], text[index + 4 :]
    return text, ""


def parse(arguments: str) -> StatsSpec:
    options: Dict[str, str] = {}
    text = arguments.strip()
    while True:
        match = re.match(r"(\w+)=(\S+)\s*", text)
        if not match:
            break
        options[match.group(1)] = match.group(2)
        text = text[match.end() :]
    head, by_text = _split_by(" " + text)
    aggregations = []
    position = 0
    head = head.strip()
    while position < len(head):
        match = _AGGREGATION.match(head, position)
        if not match or match.end() == position:
            raise SplError(f"cannot parse the aggregations {head[position : position + 40]!r}")
        position = match.end()
        function = match.group("function").lower()
        if function not in FUNCTIONS:
            raise SplError(f"stats function {function}() is not modelled")
        target = unquote(match.group("field")) if match.group("field") is not None else None
        if function != "count" and not target:
            raise SplError(f"{function}() needs a field")
        alias = (
            unquote(match.group("alias"))
            if match.group("alias")
            else (function if target is None else f"{function}({target})")
        )
        aggregations.append(Aggregation(function, target, alias))
    by = [unquote(item) for item in re.findall(r'"[^"]*"|[^\s,]+', by_text)]
    return StatsSpec(aggregations, by, options)


def group_keys(row: Row, by: List[str]) -> List[Tuple[str, ...]]:
    """The groups a result belongs to: none when a by-field is missing; one per combination of values."""
    lists = []
    for name in by:
        values = values_of(row.get(name))
        if not values:
            return []
        lists.append(list(dict.fromkeys(values)))
    return [tuple(combination) for combination in itertools.product(*lists)]


class _Accumulator:
    """One group's state for the aggregations of one spec; values can be removed again (streamstats)."""

    def __init__(self, aggregations: List[Aggregation]):
        self.aggregations = aggregations
        self.rows = 0
        self.counters = {a.field: Counter() for a in aggregations if a.field is not None}

    def change(self, row: Row, step: int) -> None:
        self.rows += step
        for name, counter in self.counters.items():
            for value in values_of(row.get(name)):
                counter[value] += step
                if counter[value] <= 0:
                    del counter[value]

    def results(self) -> Dict[str, Optional[object]]:
        found: Dict[str, Optional[object]] = {}
        for aggregation in self.aggregations:
            function = aggregation.function
            if aggregation.field is None:
                found[aggregation.alias] = field_value(self.rows)
                continue
            counter = self.counters[aggregation.field]
            if function == "count":
                value: object = sum(counter.values())
            elif function == "dc":
                value = len(counter)
            elif function == "values":
                value = sorted(counter) or None
            elif function == "sum":
                numbers = [(number(v), n) for v, n in counter.items()]
                numbers = [parsed * n for parsed, n in numbers if parsed is not None]
                value = sum(numbers) if numbers else None
            else:
                numeric = [parsed for parsed in map(number, counter) if parsed is not None]
                if numeric:
                    value = min(numeric) if function == "min" else max(numeric)
                else:
                    value = (min(counter) if function == "min" else max(counter)) if counter else None
            found[aggregation.alias] = field_value(value)
        return found


def stats(rows: Iterable[Row], spec: StatsSpec) -> List[Row]:
    groups: Dict[Tuple[str, ...], _Accumulator] = {}
    for row in rows:
        for key in group_keys(row, spec.by):
            accumulator = groups.get(key)
            if accumulator is None:
                accumulator = groups[key] = _Accumulator(spec.aggregations)
            accumulator.change(row, 1)
    if not spec.by and not groups:
        groups[()] = _Accumulator(spec.aggregations)
    output = []
    for key in sorted(groups, key=tuple):
        row: Row = dict(zip(spec.by, key))
        row.update({name: value for name, value in groups[key].results().items() if value is not None})
        output.append(row)
    return output


def _apply(row: Row, results: Dict[str, Optional[object]]) -> None:
    for name, value in results.items():
        if value is None:
            row.pop(name, None)
        else:
            row[name] = value


def eventstats(rows: List[Row], spec: StatsSpec) -> List[Row]:
    groups: Dict[Tuple[str, ...], _Accumulator] = {}
    for row in rows:
        for key in group_keys(row, spec.by):
            groups.setdefault(key, _Accumulator(spec.aggregations)).change(row, 1)
    results = {key: accumulator.results() for key, accumulator in groups.items()}
    for row in rows:
        keys = group_keys(row, spec.by)
        if len(keys) > 1:
            raise SplError("eventstats by a multivalue field is not modelled")
        if keys:
            _apply(row, results[keys[0]])
    return rows


def streamstats(rows: List[Row], spec: StatsSpec, max_window: int = MAX_STREAM_WINDOW) -> List[Row]:
    unknown = set(spec.options) - {"time_window"}
    if unknown or "time_window" not in spec.options:
        raise SplError(f"only streamstats time_window=<span> is modelled, not {sorted(spec.options)}")
    try:
        span = parse_span(spec.options["time_window"])
    except ValueError as error:
        raise SplError(str(error)) from error
    window: deque = deque()  # (time, keys, row) of the results in the window, all groups
    groups: Dict[Tuple[str, ...], _Accumulator] = {}
    previous = None
    for row in rows:
        moment = number(row.get("_time"))
        if moment is None or (previous is not None and moment < previous):
            raise SplError("streamstats time_window needs results in ascending _time order")
        previous = moment
        while window and (window[0][0] <= moment - span or len(window) >= max_window):
            _, old_keys, old_row = window.popleft()
            for key in old_keys:
                groups[key].change(old_row, -1)
        keys = group_keys(row, spec.by)
        for key in keys:
            groups.setdefault(key, _Accumulator(spec.aggregations)).change(row, 1)
        window.append((moment, keys, dict(row)))
        if len(keys) == 1:
            _apply(row, groups[keys[0]].results())
        elif keys:
            raise SplError("streamstats by a multivalue field is not modelled")
    return rows
