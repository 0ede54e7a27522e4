"""Splunk-semantics gate: checks over the shipped saved searches and views for defects the SQLite reference
engine cannot see, because it executes the Sigma intent and not the SPL we ship.

Each check takes what it needs (a stanza's settings, a search text, the macros) and returns a list of problems
(empty: fine). What each guards, and the Splunk documentation behind it:

``macro_in_quotes``
    macros.conf.spec: a macro is not expanded inside a quoted string, so ``"-`x`m"`` stays literal.
``continuous_schedule``
    savedsearches.conf.spec ``realtime_schedule``: the default (1) lets a busy scheduler skip runs; a search whose
    runs read consecutive windows needs ``realtime_schedule = 0`` or a skipped run is a permanent gap.
``no_join``
    ``join`` and subsearches are truncated (limits.conf ``[subsearch]`` maxout 50,000 rows, maxtime 60 s).
``streamstats_window``
    streamstats: a ``time_window`` holds at most ``max_stream_window`` (10,000) events of all groups; over raw
    events it silently undercounts at volume. Allowed only after a ``stats`` has reduced events to rows.
``duplicate_alerts``
    a run reports what it finds over its whole dispatch range; when runs overlap and the suppression is shorter
    than the range, a later run re-finds the same events and alerts again. Safe are: consecutive index-time
    slices (``dispatch.index_earliest/index_latest`` one cron interval wide), or in-search gating on the events
    indexed in the run's own interval with a suppression of at least the window and the interval, or a
    suppression at least as long as the dispatch range.
``risk_object_filled``
    a risk object filled with a placeholder (``fillnull value="unknown"``) scores every tenant's alerts on one
    phantom entity.
``by_fields``
    ``stats ... by`` drops results that lack a by-field and ``dedup`` drops results that lack a dedup field:
    each must be filled or filtered (``where isnotnull``) first, or produced by an earlier step.
``index_star``
    an enabled scheduled search over ``index=*`` (``auth0_index``'s default) scans every index.
``fields_past_cutoff``
    limits.conf ``[spath] extraction_cutoff`` (5,000 bytes): automatic JSON extraction (KV_MODE = json) stops
    there, so a field that can sit behind a large object must be read with ``spath path=`` before it is used.
``ids_capped``
    a notable carries the alert's event ids; thousands of ids make it unusable: cap them (``mvindex``).
"""

import re
from typing import Callable, Dict, Iterable, List, Optional, Set

from tools.detections.model import parse_span
from tools.knowledge.spl_search import expand_macros

MAX_IDS = 100
ID_FIELDS = ("log_ids", "object_ids", "snapshot_ids")
#: Fields every event of its sourcetype carries (safe to dedup on).
ALWAYS_PRESENT = {"log_id", "snapshot_id", "object_type", "object_id", "_time"}
FIELD_TOKEN = r"(?<![\w.{}])((?:data|object)\.[\w.{}\-]*[\w}])"


# -- parsing ----------------------------------------------------------------------------------------------------
def commands(search: str) -> List[str]:
    """The search's commands, split at pipes outside quotes and subsearch brackets; the first item is the
    leading search expression ("" when the search starts with a pipe)."""
    parts, current, quote, depth = [], [], False, 0
    index = 0
    while index < len(search):
        char = search[index]
        if quote:
            current.append(char)
            if char == "\\" and index + 1 < len(search):
                current.append(search[index + 1])
                index += 1
            elif char == '"':
                quote = False
        elif char == '"':
            quote = True
            current.append(char)
        elif char == "[":
            depth += 1
            current.append(char)
        elif char == "]":
            depth -= 1
            current.append(char)
        elif char == "|" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current).strip())
    return [" ".join(part.split()) for part in parts]


def quoted_strings(text: str) -> List[str]:
    """The double-quoted strings of a search (escapes kept)."""
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)


def minutes(time_modifier: str) -> float:
    """How far back a relative time reaches, in minutes (snapping can add up to one unit: counted)."""
    text = (time_modifier or "").strip()
    if text in ("", "now", "0"):
        return 0.0
    match = re.fullmatch(r"-(\d+)([smhdw])(?:@([smhdw]))?", text)
    if not match:
        raise ValueError(f"not a relative time this gate knows: {text!r}")
    unit = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080}
    reach = int(match.group(1)) * unit[match.group(2)]
    return reach + (unit[match.group(3)] if match.group(3) else 0)


def cron_interval_minutes(cron: str) -> int:
    fields = cron.split()
    if re.fullmatch(r"\*/(\d+)", fields[0]) and fields[1:] == ["*"] * 4:
        return int(fields[0][2:])
    if re.fullmatch(r"\d+", fields[0]) and fields[1:] == ["*"] * 4:
        return 60
    raise ValueError(f"cron {cron!r}: only */N * * * * and M * * * * are checked")


def _fields(text: str) -> List[str]:
    return re.findall(r'"([^"]+)"|([^\s,]+)', text)


def _field_list(text: str) -> List[str]:
    return [quoted or bare for quoted, bare in _fields(text)]


def _by_fields(command: str) -> List[str]:
    match = re.search(r"\sby\s+(.+)$", command)
    return _field_list(match.group(1)) if match else []


def _assigned(command: str) -> List[str]:
    """Fields an eval/rex/lookup/spath/stats command produces."""
    if command.startswith("eval "):
        return re.findall(r"(?:^eval\s+|,\s*)([\w.{}]+)\s*=(?!=)", command)
    if command.startswith("spath "):
        match = re.search(r'output="?([^"\s]+)"?', command)
        return [match.group(1)] if match else []
    if command.startswith(("stats ", "eventstats ", "streamstats ")):
        return re.findall(r"\bas\s+([\w.{}]+)", command) + _by_fields(command)
    if command.startswith("lookup "):
        return re.findall(r"\bAS\s+([\w.{}]+)\s*(?:,|$)", command.split("OUTPUT", 1)[-1])
    if command.startswith("rex "):
        return re.findall(r"\(\?<(\w+)>", command)
    if command.startswith("addinfo"):
        return ["info_min_time", "info_max_time", "info_search_time", "info_sid"]
    return []


# -- checks -----------------------------------------------------------------------------------------------------
def macro_in_quotes(text: str) -> List[str]:
    return [f'macro inside the quoted string "{s}" is not expanded' for s in quoted_strings(text) if "`" in s]


def continuous_schedule(settings: Dict[str, str]) -> List[str]:
    if settings.get("enableSched", "0") in ("1", "true") and settings.get("realtime_schedule") != "0":
        return ["scheduled without realtime_schedule = 0: a busy scheduler skips runs and leaves gaps"]
    return []


def no_join(search: str) -> List[str]:
    return [f"join is truncated by subsearch limits: {c[:60]}" for c in commands(search) if c.startswith("join ")]


def streamstats_window(search: str) -> List[str]:
    problems, aggregated = [], False
    for command in commands(search)[1:]:
        if command.startswith(("stats ", "tstats ", "timechart ", "chart ")):
            aggregated = True
        if command.startswith("streamstats ") and "time_window" in command and not aggregated:
            problems.append(f"streamstats time_window over raw events (capped at 10,000 events): {command[:70]}")
    return problems


def _new_event_gate(search: str) -> Optional[int]:
    """The interval (seconds) of an in-search gate on the events indexed in the run's own interval."""
    match = re.search(r"_indextime >= info_max_time - (\d+) AND _indextime < info_max_time", search)
    return int(match.group(1)) if match and "addinfo" in search else None


def window_span_seconds(search: str) -> Optional[int]:
    match = re.search(r"auth0_window=mvrange\(auth0_step_start - (\d+), auth0_step_start \+ (\d+), \d+\)", search)
    return int(match.group(1)) + int(match.group(2)) if match else None


def duplicate_alerts(settings: Dict[str, str]) -> List[str]:
    alerting = "alert.suppress" in settings or settings.get("action.notable") == "1" or "counttype" in settings
    if settings.get("enableSched", "0") not in ("1", "true") or not alerting:
        return []
    search = settings.get("search", "")
    interval = cron_interval_minutes(settings["cron_schedule"])
    suppression = parse_span(settings["alert.suppress.period"]) / 60 if settings.get("alert.suppress") == "1" else 0
    reach = minutes(settings.get("dispatch.earliest_time", "")) - minutes(settings.get("dispatch.latest_time", ""))
    if settings.get("dispatch.index_earliest"):
        width = minutes(settings["dispatch.index_earliest"]) - minutes(settings.get("dispatch.index_latest", ""))
        if width == interval:
            return []
        return [f"index-time slice of {width:g} min is not the cron interval of {interval} min (overlap or gaps)"]
    gate = _new_event_gate(search)
    if gate is not None:
        if gate != interval * 60:
            return [f"new-event gate of {gate} s is not the cron interval of {interval} min"]
        needed = max((window_span_seconds(search) or 0) / 60, interval)
        if suppression < needed:
            return [f"suppression {suppression:g} min is shorter than the window or interval ({needed:g} min)"]
        return []
    if suppression < reach:
        return [
            f"suppression {suppression:g} min is shorter than the dispatch range {reach:g} min: later runs re-alert"
        ]
    return []


def risk_object_filled(settings: Dict[str, str]) -> List[str]:
    import json

    risk = json.loads(settings.get("action.risk.param._risk") or "[]")
    objects = {entry["risk_object_field"] for entry in risk if "risk_object_field" in entry}
    steps = commands(settings.get("search", ""))
    sources: Set[str] = set(objects)
    for command in steps:
        if command.startswith("rename "):
            for old, new in re.findall(r'"?([^\s,"]+)"?\s+AS\s+"?([^\s,"]+)"?', command):
                if new in objects:
                    sources.add(old)
    problems = []
    for command in steps:
        if command.startswith("fillnull "):
            filled = set(_field_list(re.sub(r'^fillnull\s+(value=("[^"]*"|\S+)\s*)?', "", command)))
            for field in sorted(filled & sources):
                problems.append(f"fillnull on the risk object {field}: a phantom entity scores every alert")
    return problems


def by_fields(search: str, always: Iterable[str] = ALWAYS_PRESENT) -> List[str]:
    safe: Set[str] = set(always)
    for match in re.finditer(r'(?:\beval\s+|,\s*)(\w+)=("|mvrange\(|floor\(_time)', search):
        safe.add(match.group(1))  # set from a literal or from _time: never null
    problems = []
    for command in commands(search)[1:]:
        if command.startswith("fillnull "):
            safe |= set(_field_list(re.sub(r'^fillnull\s+(value=("[^"]*"|\S+)\s*)?', "", command)))
        elif command.startswith("where "):
            safe |= set(re.findall(r"isnotnull\('([^']+)'\)", command))
        elif command.startswith("stats "):
            for field in _by_fields(command):
                if field not in safe:
                    problems.append(f"stats by {field}: results without it are dropped (fill or filter it first)")
            safe |= set(_by_fields(command))
        elif command.startswith("dedup "):
            for field in _field_list(command[len("dedup ") :]):
                if field not in safe:
                    problems.append(f"dedup {field}: results without it are dropped (fill or filter it first)")
    return problems


def fill_before_dedup(search: str) -> List[str]:
    """A placeholder filled into a dedup key makes every result that lacks the key one "latest" result."""
    filled: Set[str] = set()
    problems = []
    for command in commands(search)[1:]:
        if command.startswith("fillnull "):
            filled |= set(_field_list(re.sub(r'^fillnull\s+(value=("[^"]*"|\S+)\s*)?', "", command)))
        elif command.startswith("dedup "):
            for field in _field_list(command[len("dedup ") :]):
                if field in filled:
                    problems.append(f"dedup on {field} after fillnull: results without it collapse into one")
    return problems


def index_star(settings: Dict[str, str], macros: Dict[str, str]) -> List[str]:
    enabled = settings.get("disabled", "0") not in ("1", "true") and settings.get("enableSched") in ("1", "true")
    if enabled and re.search(r"\bindex\s*=\s*\*", expand_macros(settings.get("search", ""), macros)):
        return ["an enabled scheduled search over index=*"]
    return []


def fields_past_cutoff(search: str, is_head: Callable[[str], bool]) -> List[str]:
    """Fields beyond the event's head used without ``spath path=`` first (the leading search may only use
    head fields: automatic extraction is all it has)."""
    steps = commands(search)
    problems = []
    read: Set[str] = set()

    def check(text: str, where: str) -> None:
        for field in re.findall(FIELD_TOKEN, text):
            if not is_head(field) and field not in read:
                problems.append(f"{field} used in {where} without spath path= (cut at 5,000 bytes)")

    for number, command in enumerate(steps):
        if number == 0 or command.startswith("multisearch "):
            for part in re.findall(r"\[search ([^\]]*)\]", command) or [command]:
                inner = commands(part)
                check(inner[0], "the search")
                for sub in inner[1:]:
                    if sub.startswith("spath "):
                        read.update(_assigned(sub))
                    else:
                        check(sub, sub.split()[0])
            continue
        if command.startswith("spath "):
            read.update(_assigned(command))
            continue
        check(command, command.split()[0] if command else "?")
        read.update(f for f in _assigned(command) if f.startswith(("data.", "object.")))
    return sorted(set(problems))


def ids_capped(search: str) -> List[str]:
    problems = []
    last: Dict[str, str] = {}
    for command in commands(search)[1:]:
        for name in ID_FIELDS:
            if re.search(rf"\bas {name}\b", command) or re.search(rf"(?:^eval\s+|,\s*){name}=", command):
                last[name] = command
    for name, command in last.items():
        match = re.search(rf"{name}=mvindex\({name}, 0, (\d+)\)", command)
        if not match or int(match.group(1)) + 1 > MAX_IDS:
            problems.append(f"{name} is not capped at {MAX_IDS} ids (mvindex) before it reaches the notable")
    return problems
