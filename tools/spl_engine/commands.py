"""The search commands the add-on's searches use, each as Splunk's command reference describes it.

Every command takes its argument text, the results so far and the run's :class:`Run`, and returns the results.
"""

import json
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ta_auth0 import watchlist as watchlist_logic
from tools.knowledge import spl_eval, spl_search
from tools.knowledge.searchtime import LookupSpec, ModelError
from tools.spl_engine import aggregate
from tools.spl_engine.values import Row, SplError, field_value, sort_key, text_of, unquote, values_of

Command = Callable[[str, List[Row], Any], List[Row]]
COMMANDS: Dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(function: Command) -> Command:
        COMMANDS[name] = function
        return function

    return register


def split_top_level(text: str, separator: str = ",") -> List[str]:
    """Split at ``separator`` outside quotes (``"``, ``'``) and parentheses."""
    parts, current, quote, depth = [], [], "", 0
    index = 0
    while index < len(text):
        char = text[index]
        current.append(char)
        if quote:
            if char == "\\" and index + 1 < len(text):
                current.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            current.pop()
            parts.append("".join(current).strip())
            current = []
        index += 1
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _options(text: str) -> Tuple[Dict[str, str], str]:
    """Leading ``name=value`` options of a command, and the rest of its arguments."""
    options = {}
    rest = text.strip()
    while True:
        match = re.match(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)\s*', rest)
        if not match:
            return options, rest
        options[match.group(1)] = unquote(match.group(2))
        rest = rest[match.end() :]


def _names(text: str) -> List[str]:
    return [unquote(name) for name in re.findall(r'"(?:[^"\\]|\\.)*"|[^\s,]+', text)]


def set_field(row: Row, name: str, value: Any) -> None:
    converted = field_value(value)
    if converted is None:
        row.pop(name, None)
    else:
        row[name] = converted


# --- filtering -------------------------------------------------------------------------------------------------
def search_predicate(expression: str) -> Callable[[Row], bool]:
    if expression.strip() in ("", "*"):
        return lambda row: True
    return spl_search.compile_search(expression)


@command("search")
def search(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    predicate = search_predicate(arguments)
    return [row for row in rows if predicate(row)]


@command("where")
def where(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    node = spl_eval.parse(arguments)
    kept = []
    for row in rows:
        truth = spl_eval.Evaluator(row, now=run.now).evaluate(node)
        if truth is not None and not isinstance(truth, bool):
            raise SplError(f"where needs a boolean expression: {arguments!r}")
        if truth:
            kept.append(row)
    return kept


@command("dedup")
def dedup(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    options, rest = _options(arguments)
    names = _names(rest)
    if options or not names or any(name.lower() in ("sortby", "consecutive=true") for name in names):
        raise SplError(f"only dedup <field>... is modelled: {arguments!r}")
    seen = set()
    kept = []
    for row in rows:
        if any(row.get(name) is None for name in names):
            continue  # keepempty=false: a result without a dedup field is dropped
        key = tuple(tuple(values_of(row[name])) for name in names)
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


# --- fields ----------------------------------------------------------------------------------------------------
@command("eval")
def eval_(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    assignments = []
    for part in split_top_level(arguments):
        match = re.match(r"\s*('[^']+'|[\w.{}]+)\s*=(?!=)(.*)$", part, re.S)
        if not match:
            raise SplError(f"cannot parse eval assignment {part!r}")
        assignments.append((unquote(match.group(1)), spl_eval.parse(match.group(2))))
    for row in rows:
        evaluator = spl_eval.Evaluator(row, now=run.now)
        for name, node in assignments:
            set_field(row, name, evaluator.evaluate(node))
    return rows


def _walk(node: Any, parts: Sequence[str]) -> List[Any]:
    if not parts:
        return [node]
    head, rest = parts[0], parts[1:]
    found: List[Any] = []
    key, array = (head[:-2], True) if head.endswith("{}") else (head, False)
    if key:
        if not isinstance(node, dict) or key not in node:
            return []
        node = node[key]
    if array:
        if not isinstance(node, list):
            return []
        for item in node:
            found += _walk(item, rest)
        return found
    return _walk(node, rest)


def _spath_text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


@command("spath")
def spath(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    """``spath output=<field> path=<path>``: reads ``_raw`` whole (an explicit path is not cut off)."""
    options, rest = _options(arguments)
    if rest or set(options) - {"output", "path", "input"} or "path" not in options:
        raise SplError(f"only spath [input=] path= [output=] is modelled: {arguments!r}")
    source = options.get("input", "_raw")
    path = options["path"]
    output = options.get("output", path)
    parts = re.findall(r"[^.{}]+(?:\{\})?|\{\}", path)
    for row in rows:
        document = run.document(row.get(source))
        if document is None:
            continue
        found = [text for text in (_spath_text(v) for v in _walk(document, parts)) if text is not None]
        if found:
            row[output] = found if len(found) > 1 else found[0]
    return rows


@command("rex")
def rex(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    options, rest = _options(arguments)
    if set(options) - {"field"}:
        raise SplError(f'only rex field= "<regex>" is modelled: {arguments!r}')
    pattern = re.compile(unquote(rest).replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"))
    source = options.get("field", "_raw")
    for row in rows:
        values = values_of(row.get(source))
        if not values:
            continue
        match = pattern.search(values[0])
        if match:
            for name, value in match.groupdict().items():
                if value is not None:
                    row[name] = value
    return rows


@command("rename")
def rename(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    pairs = []
    for part in split_top_level(arguments):
        words = _names(part)
        if len(words) != 3 or words[1].upper() != "AS" or "*" in part:
            raise SplError(f"cannot parse rename {part!r}")
        pairs.append((words[0], words[2]))
    for row in rows:
        for old, new in pairs:
            if old in row:
                row[new] = row.pop(old)
    return rows


@command("fillnull")
def fillnull(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    options, rest = _options(arguments)
    value = options.get("value", "0")
    names = _names(rest)
    if not names:
        names = sorted({name for row in rows for name in row if not name.startswith("_")})
    for row in rows:
        for name in names:
            if row.get(name) is None:
                row[name] = value
    return rows


def _wildcard(pattern: str) -> "re.Pattern[str]":
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


@command("fields")
def fields(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    text = arguments.strip()
    remove = text.startswith("-")
    patterns = [_wildcard(name) for name in _names(text.lstrip("+-"))]
    for row in rows:
        for name in list(row):
            matched = any(pattern.match(name) for pattern in patterns)
            if (remove and matched) or (not remove and not matched and not name.startswith("_")):
                del row[name]
    return rows


@command("table")
def table(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    names = _names(arguments)
    return [{name: row[name] for name in names if name in row} for row in rows]


@command("convert")
def convert(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    options, rest = _options(arguments)
    pattern = options.get("timeformat", "%m/%d/%Y %H:%M:%S")
    conversions = re.findall(r"ctime\(([^)]+)\)(?:\s+as\s+(\S+))?", rest, re.IGNORECASE)
    if not conversions or re.sub(r"ctime\([^)]+\)(?:\s+as\s+\S+)?", "", rest, flags=re.IGNORECASE).strip():
        raise SplError(f"only convert timeformat= ctime(<field>) is modelled: {arguments!r}")
    strftime = spl_eval.parse("strftime(t, f)")
    for row in rows:
        for name, alias in conversions:
            values = values_of(row.get(name))
            if values:
                texts = [spl_eval.Evaluator({"t": v, "f": pattern}).evaluate(strftime) for v in values]
                set_field(row, alias or name, [t for t in texts if t is not None])
    return rows


@command("addinfo")
def addinfo(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    info = {
        "info_min_time": text_of(run.earliest if run.earliest is not None else 0.0),
        "info_max_time": "+Infinity" if run.latest is None else text_of(run.latest),
        "info_search_time": text_of(run.now),
        "info_sid": "scheduler_offline_model",
    }
    for row in rows:
        row.update(info)
    return rows


@command("mvexpand")
def mvexpand(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    names = _names(arguments)
    if len(names) != 1:
        raise SplError(f"only mvexpand <field> is modelled: {arguments!r}")
    name = names[0]
    expanded = []
    for row in rows:
        values = values_of(row.get(name))
        if not values:
            expanded.append(row)
            continue
        for value in values:
            copy = dict(row)
            copy[name] = value
            expanded.append(copy)
    return expanded


@command("sort")
def sort(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    words = arguments.replace(",", " ").split()
    limit = None
    if words and words[0].isdigit():
        limit = int(words.pop(0)) or None
    keys: List[Tuple[str, bool]] = []
    descending = False
    for word in words:
        if word in ("-", "+"):
            descending = word == "-"
            continue
        name = word
        if word[0] in "-+":
            descending, name = word[0] == "-", word[1:]
        keys.append((unquote(name), descending))
        descending = False
    for name, reverse in reversed(keys):  # stable sorts, last key first
        present = [row for row in rows if row.get(name) is not None]
        missing = [row for row in rows if row.get(name) is None]
        present.sort(key=lambda row: sort_key(values_of(row[name])[0]), reverse=reverse)
        rows = present + missing
    return rows[:limit] if limit else rows


# --- statistics ------------------------------------------------------------------------------------------------
def _without_options(name: str, arguments: str) -> aggregate.StatsSpec:
    spec = aggregate.parse(arguments)
    if spec.options:
        raise SplError(f"{name} options are not modelled: {spec.options}")
    return spec


@command("stats")
def stats(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    return aggregate.stats(rows, _without_options("stats", arguments))


@command("eventstats")
def eventstats(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    return aggregate.eventstats(rows, _without_options("eventstats", arguments))


@command("streamstats")
def streamstats(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    return aggregate.streamstats(rows, aggregate.parse(arguments))


# --- lookups and the watchlist ---------------------------------------------------------------------------------
@command("lookup")
def lookup(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    try:
        spec = LookupSpec(arguments)
    except ModelError as error:
        raise SplError(str(error)) from error
    if spec.mode != "OUTPUT" or len(spec.inputs) != 1:
        raise SplError(f"only lookup <table> <column> [AS <field>] OUTPUT ... is modelled: {arguments!r}")
    table_ = run.engine.lookups.table(spec.transform)
    column, name = spec.inputs[0]
    for row in rows:
        values = values_of(row.get(name))
        if not values:
            continue  # an event without the match field is not looked up
        matches = [match for match in (table_.find({column: value}) for value in values) if match is not None]
        for out_column, target in spec.outputs:
            cells = [match.get(out_column) for match in matches if match.get(out_column)]
            set_field(row, target, cells or None)
    return rows


@command("auth0watchlist")
def auth0watchlist(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    """The add-on's own matching logic (``ta_auth0.watchlist``), over the engine's KV-store rows."""
    options, errors = watchlist_logic.parse_options(_names_raw(arguments))
    if errors:
        raise SplError("; ".join(errors))
    entries, _messages = watchlist_logic.build_watchlist(
        run.engine.kvstore(watchlist_logic.COLLECTION), options, run.now
    )
    kept = []
    for row in rows:
        hit = watchlist_logic.match_record(row, options.fields, entries)
        values = hit.values() if hit is not None else watchlist_logic.NO_MATCH_VALUES
        for name, value in zip(watchlist_logic.OUTPUT_FIELDS, values):
            set_field(row, name, value if value != "" else None)
        if hit is not None or options.mode != "filter":
            kept.append(row)
    return kept


def _names_raw(text: str) -> List[str]:
    return re.findall(r'\w+="(?:[^"\\]|\\.)*"|[^\s]+', text)


@command("inputlookup")
def inputlookup(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    return rows + [dict(row) for row in run.engine.kvstore(_appended_collection("inputlookup", arguments))]


@command("outputlookup")
def outputlookup(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    """``outputlookup append=true <collection>``: rows with a ``_key`` replace the stored row of that key."""
    run.engine.store(_appended_collection("outputlookup", arguments), rows)
    return rows


def _appended_collection(name: str, arguments: str) -> str:
    """The collection of ``<name> append=true <collection>``, the only form of the lookup commands modelled."""
    options, rest = _options(arguments)
    if options.get("append", "").lower() not in ("true", "1") or set(options) - {"append"}:
        raise SplError(f"only {name} append=true <collection> is modelled: {arguments!r}")
    return rest.strip()


@command("multisearch")
def multisearch(arguments: str, rows: List[Row], run: Any) -> List[Row]:
    if rows:
        raise SplError("multisearch must be the first command")
    bodies = re.findall(r"\[\s*search\s+((?:[^\[\]\"]|\"(?:[^\"\\]|\\.)*\")*)\]", arguments)
    if len(bodies) < 2:
        raise SplError(f"multisearch needs two or more [search ...] subsearches: {arguments[:60]!r}")
    found: List[Row] = []
    for body in bodies:
        found += run.engine.pipeline(body, run, streaming_only=True)
    found.sort(key=lambda row: float(row["_time"]), reverse=True)
    return found


#: Commands allowed inside multisearch (streaming, no state across events).
STREAMING = {"search", "where", "eval", "spath", "rex", "rename", "fillnull", "fields", "convert", "addinfo", "lookup"}
