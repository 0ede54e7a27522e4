"""An offline model of Splunk's search-time field processing, for the constructs the add-on's confs use.

Splunk's documented order is followed (props.conf.spec, "search-time operation sequence"):

1. ``rename``: a renamed sourcetype gets only the search-time configuration of its new name;
   the stored name stays in ``_sourcetype``;
2. ``KV_MODE = json``: nested keys joined with ``.``, arrays as ``{}``, repeated values multivalue;
3. ``FIELDALIAS-*`` classes in ASCII order, the aliases of one class in parallel. ``AS`` overwrites the new
   field and removes it when the original field is missing (Splunk 7.2.4 and later); ``ASNEW`` only adds;
4. ``EVAL-*`` all in parallel on the fields of step 3 (one EVAL never sees another's result); a null result
   removes the field;
5. ``LOOKUP-*`` classes in ASCII order. ``OUTPUT`` always writes (an empty cell removes the field) and an event
   with all match fields but no matching row loses its ``OUTPUT`` fields; ``OUTPUTNEW`` writes only fields that
   do not exist yet (each field on its own); an event without a match field is not looked up;
6. eventtypes (their searches see every field above), then tags from ``tags.conf`` ``[eventtype=<name>]``.

Anything the add-on's confs do not use (REPORT, EXTRACT, other KV modes, sed, ...) raises, so a new construct
must be modelled before the tests can pass.
"""

import csv
import glob
import ipaddress
import json
import os
import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from addonfactory_splunk_conf_parser_lib import TABConfigParser

from tools.json_fields import leaf_values
from tools.knowledge import spl_eval, spl_search

FieldValue = spl_search.FieldValue
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "package")
MODELLED_PROPS = ("KV_MODE", "FIELDALIAS-", "EVAL-", "LOOKUP-", "rename")
INDEX_TIME_PROPS = (
    "SHOULD_LINEMERGE",
    "LINE_BREAKER",
    "EVENT_BREAKER_ENABLE",
    "EVENT_BREAKER",
    "TRUNCATE",
    "TIME_PREFIX",
    "TIME_FORMAT",
    "MAX_TIMESTAMP_LOOKAHEAD",
    "TZ",
    "CHARSET",
)
DESCRIPTIVE_PROPS = ("category", "pulldown_type", "description")


class ModelError(Exception):
    """A configuration construct this model does not implement."""


def read_conf(path: str) -> Dict[str, Dict[str, str]]:
    parser = TABConfigParser()
    parser.read(path)
    return {
        section: {key: value for key, value in parser.items(section) if not key.startswith("__")}
        for section in parser.sections()
    }


def read_saved_searches(
    path: str = os.path.join(PACKAGE, "default", "savedsearches.conf"),
) -> Dict[str, Dict[str, str]]:
    """``savedsearches.conf`` with each search as Splunk runs it (backslash-continued lines joined by newlines)."""
    return {
        name: dict(stanza, search=stanza.get("search", "").replace("\\\n", "\n"))
        for name, stanza in read_conf(path).items()
    }


def flatten_json(document: Any, keep_empty: bool = True) -> Dict[str, FieldValue]:
    """KV_MODE=json: ``{"a": {"b": [1, {"c": true}]}}`` gives ``a.b{}`` = 1 and ``a.b{}.c`` = true."""
    found: Dict[str, FieldValue] = {}
    for name, values in leaf_values(document).items():
        texts = [str(value) for value in values if keep_empty or str(value) != ""]
        if texts:
            found[name] = texts[0] if len(texts) == 1 else texts
    return found


def parse_json_raw(raw: str) -> Any:
    # Numbers keep their text, as Splunk shows them.
    return json.loads(raw, parse_int=str, parse_float=str)


class _Prefix(Exception):
    """The text ended inside a value."""


_JSON_ATOM = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null')


def parse_json_prefix(raw: str, cutoff: int) -> Any:
    """What automatic JSON extraction sees of an event whose extraction stops after ``cutoff`` bytes
    (limits.conf ``[spath] extraction_cutoff``): the keys and values complete within the first ``cutoff`` bytes,
    in their objects and arrays; a value cut in the middle, and everything after it, is missing."""
    data = raw.encode("utf-8")
    if len(data) <= cutoff:
        return parse_json_raw(raw)
    text = data[:cutoff].decode("utf-8", "ignore")
    position = 0

    def space() -> None:
        nonlocal position
        while position < len(text) and text[position] in " \t\r\n":
            position += 1

    def value() -> Any:
        nonlocal position
        space()
        if position >= len(text):
            raise _Prefix()
        if text[position] in "{[":
            closing = "}" if text[position] == "{" else "]"
            container: Any = {} if closing == "}" else []
            position += 1
            while True:
                space()
                if position >= len(text):
                    raise _Partial(container)
                if text[position] == closing:
                    position += 1
                    return container
                if text[position] == ",":
                    position += 1
                    continue
                try:
                    if closing == "}":
                        key = value()
                        space()
                        if text[position : position + 1] != ":":
                            raise _Prefix()
                        position += 1
                        container[key] = value()
                    else:
                        container.append(value())
                except _Prefix:
                    raise _Partial(container) from None
                except _Partial as partial:  # a cut child keeps what it holds, in its parent
                    if closing == "}":
                        container[key] = partial.container
                    else:
                        container.append(partial.container)
                    raise _Partial(container) from None
        match = _JSON_ATOM.match(text, position)
        if not match or match.end() == len(text):  # an atom that touches the cut may be cut itself
            raise _Prefix()
        position = match.end()
        return json.loads(match.group(0), parse_int=str, parse_float=str)

    try:
        return value()
    except _Partial as partial:
        return partial.container


class _Partial(Exception):
    """A container cut by the end of the text, with what it holds so far (its parents keep it)."""

    def __init__(self, container: Any):
        super().__init__()
        self.container = container


def parse_fieldalias(value: str) -> List[Tuple[str, str, str]]:
    words = value.split()
    if len(words) % 3:
        raise ModelError(f"cannot parse FIELDALIAS {value!r}")
    pairs = []
    for index in range(0, len(words), 3):
        source, operator, target = words[index : index + 3]
        if operator.upper() not in ("AS", "ASNEW"):
            raise ModelError(f"cannot parse FIELDALIAS {value!r}")
        pairs.append((source, operator.upper(), target))
    return pairs


class LookupSpec:
    """``LOOKUP-<class> = <transform> (<field> [AS <event field>])+ [OUTPUT|OUTPUTNEW (<column> [AS <field>])+]``,
    also the arguments of the ``lookup`` search command (where a field name may be in double quotes)."""

    def __init__(self, value: str):
        words = [word.strip('"') for word in value.replace(",", " ").split()]
        self.transform = words[0]
        self.mode = "OUTPUT"
        self.inputs: List[Tuple[str, str]] = []
        self.outputs: List[Tuple[str, str]] = []
        target = self.inputs
        index = 1
        while index < len(words):
            word = words[index]
            if word.upper() in ("OUTPUT", "OUTPUTNEW"):
                self.mode = word.upper()
                target = self.outputs
                index += 1
                continue
            if index + 2 < len(words) and words[index + 1].upper() == "AS":
                target.append((word, words[index + 2]))
                index += 3
            else:
                target.append((word, word))
                index += 1
        if not self.inputs or not self.outputs:
            raise ModelError(f"a lookup needs match fields and an explicit output list: {value!r}")


class LookupTable:
    def __init__(self, stanza: Dict[str, str], lookups_dir: str):
        unknown = set(stanza) - {"filename", "match_type", "case_sensitive_match", "max_matches"}
        if unknown:
            raise ModelError(f"transforms settings not modelled: {sorted(unknown)}")
        with open(os.path.join(lookups_dir, stanza["filename"]), encoding="utf-8", newline="") as handle:
            self.rows = list(csv.DictReader(handle))
        self.columns = list(self.rows[0]) if self.rows else []
        self.wildcard = set(re.findall(r"WILDCARD\(([^)]+)\)", stanza.get("match_type", "")))
        self.cidr = set(re.findall(r"CIDR\(([^)]+)\)", stanza.get("match_type", "")))
        self.case_sensitive = stanza.get("case_sensitive_match", "true").lower() in ("true", "1")
        if stanza.get("max_matches") != "1":
            raise ModelError("only max_matches = 1 is modelled (Splunk's default for CSV lookups is higher)")
        self._found: Dict[Tuple[Tuple[str, str], ...], Optional[Dict[str, str]]] = {}

    def _cell_matches(self, column: str, cell: str, value: str) -> bool:
        if column in self.cidr:
            try:
                return ipaddress.ip_address(value.strip()) in ipaddress.ip_network(cell.strip(), strict=False)
            except ValueError:
                return False
        flags = 0 if self.case_sensitive else re.IGNORECASE
        if column in self.wildcard:
            regex = "^" + ".*".join(re.escape(part) for part in cell.split("*")) + "$"
            return re.match(regex, value, flags | re.S) is not None
        return cell == value if self.case_sensitive else cell.lower() == value.lower()

    def find(self, keys: Dict[str, str]) -> Optional[Dict[str, str]]:
        cache_key = tuple(sorted(keys.items()))
        if cache_key not in self._found:
            self._found[cache_key] = next(
                (  # file order; max_matches = 1
                    row
                    for row in self.rows
                    if all(self._cell_matches(column, row[column], value) for column, value in keys.items())
                ),
                None,
            )
        return self._found[cache_key]


class KnowledgeModel:
    """Loads the add-on's confs and lookups and computes the search-time fields of an event."""

    def __init__(self, package_dir: str = PACKAGE):
        default = os.path.join(package_dir, "default")
        self.props = read_conf(os.path.join(default, "props.conf"))
        self.transforms = read_conf(os.path.join(default, "transforms.conf"))
        self.eventtypes = read_conf(os.path.join(default, "eventtypes.conf"))
        self.tags = read_conf(os.path.join(default, "tags.conf"))
        self.macros = {
            name: stanza["definition"] for name, stanza in read_conf(os.path.join(default, "macros.conf")).items()
        }
        self.lookups_dir = os.path.join(package_dir, "lookups")
        self._tables: Dict[str, LookupTable] = {}
        self._evals: Dict[str, Dict[str, spl_eval.Node]] = {}
        self._eventtype_predicates = {
            name: spl_search.compile_search(stanza["search"], self.macros) for name, stanza in self.eventtypes.items()
        }

    # --- configuration helpers --------------------------------------------------------------------------------

    def search_time_stanza(self, sourcetype: str) -> Tuple[str, Dict[str, str]]:
        stanza = self.props.get(sourcetype, {})
        if "rename" in stanza:
            sourcetype = stanza["rename"]
            stanza = self.props.get(sourcetype, {})
        for key in stanza:
            if not key.startswith(MODELLED_PROPS) and key not in INDEX_TIME_PROPS + DESCRIPTIVE_PROPS:
                raise ModelError(f"props setting not modelled: [{sourcetype}] {key}")
        return sourcetype, stanza

    def table(self, name: str) -> LookupTable:
        if name not in self._tables:
            self._tables[name] = LookupTable(self.transforms[name], self.lookups_dir)
        return self._tables[name]

    def compiled_evals(self, sourcetype: str) -> Dict[str, spl_eval.Node]:
        if sourcetype not in self._evals:
            _, stanza = self.search_time_stanza(sourcetype)
            self._evals[sourcetype] = {
                key[len("EVAL-") :]: spl_eval.parse(value) for key, value in stanza.items() if key.startswith("EVAL-")
            }
        return self._evals[sourcetype]

    def produced_fields(self, sourcetype: str) -> Dict[str, List[str]]:
        """Which props settings produce which fields: {field: [setting, ...]}."""
        _, stanza = self.search_time_stanza(sourcetype)
        produced: Dict[str, List[str]] = {}
        for key, value in stanza.items():
            targets: Iterable[str] = ()
            if key.startswith("FIELDALIAS-"):
                targets = [target for _, _, target in parse_fieldalias(value)]
            elif key.startswith("EVAL-"):
                targets = [key[len("EVAL-") :]]
            elif key.startswith("LOOKUP-"):
                targets = [target for _, target in LookupSpec(value).outputs]
            for target in targets:
                produced.setdefault(target, []).append(key)
        return produced

    # --- the pipeline -----------------------------------------------------------------------------------------

    def fields(
        self,
        raw: str,
        sourcetype: str,
        source: str = "",
        host: str = "",
        index: str = "main",
        keep_empty: bool = True,
        stop_after: str = "",
        extraction_cutoff: Optional[int] = None,
    ) -> Dict[str, FieldValue]:
        """The event's fields after every search-time step, or after ``stop_after`` ("alias", "eval").
        With ``extraction_cutoff`` automatic JSON extraction reads only that many bytes of ``raw``."""
        renamed, stanza = self.search_time_stanza(sourcetype)
        fields: Dict[str, FieldValue] = {}
        if stanza.get("KV_MODE", "auto") == "json":
            document = parse_json_raw(raw) if extraction_cutoff is None else parse_json_prefix(raw, extraction_cutoff)
            fields.update(flatten_json(document, keep_empty))
        elif "KV_MODE" in stanza:
            raise ModelError(f"KV_MODE {stanza['KV_MODE']} not modelled")
        fields.update(
            {
                "_raw": raw,
                "sourcetype": renamed,
                "_sourcetype": sourcetype,
                "source": source,
                "host": host,
                "index": index,
            }
        )
        self._aliases(stanza, fields)
        if stop_after == "alias":
            return fields
        self._evaluate(renamed, fields)
        if stop_after == "eval":
            return fields
        self._lookups(stanza, fields)
        matched = sorted(name for name, predicate in self._eventtype_predicates.items() if predicate(fields))
        if matched:
            fields["eventtype"] = matched if len(matched) > 1 else matched[0]
            tags = sorted(
                {
                    tag
                    for name in matched
                    for tag, state in self.tags.get(f"eventtype={name}", {}).items()
                    if state.lower() == "enabled"
                }
            )
            if tags:
                fields["tag"] = tags if len(tags) > 1 else tags[0]
        return fields

    @staticmethod
    def _aliases(stanza: Dict[str, str], fields: Dict[str, FieldValue]) -> None:
        for key in sorted(k for k in stanza if k.startswith("FIELDALIAS-")):
            snapshot = dict(fields)
            for source, operator, target in parse_fieldalias(stanza[key]):
                value = snapshot.get(source)
                if operator == "AS":
                    if value is None:
                        fields.pop(target, None)
                    else:
                        fields[target] = value
                elif target not in fields and value is not None:
                    fields[target] = value

    def _evaluate(self, sourcetype: str, fields: Dict[str, FieldValue]) -> None:
        snapshot = dict(fields)
        results = {
            name: spl_eval.Evaluator(snapshot).evaluate(node) for name, node in self.compiled_evals(sourcetype).items()
        }
        for name, value in results.items():
            if value is None:
                fields.pop(name, None)
            elif isinstance(value, bool):
                raise ModelError(f"EVAL-{name} yields a boolean")
            elif isinstance(value, list):
                fields[name] = value
            elif isinstance(value, float) and value.is_integer():
                fields[name] = str(int(value))
            else:
                fields[name] = str(value)

    def _lookups(self, stanza: Dict[str, str], fields: Dict[str, FieldValue]) -> None:
        for key in sorted(k for k in stanza if k.startswith("LOOKUP-")):
            spec = LookupSpec(stanza[key])
            keys = {}
            for column, field in spec.inputs:
                value = fields.get(field)
                if value is None:
                    break
                if isinstance(value, list):
                    raise ModelError(f"{key}: multivalue match field {field} not modelled")
                keys[column] = value
            else:
                row = self.table(spec.transform).find(keys)
                for column, target in spec.outputs:
                    cell = None if row is None else row[column]
                    if spec.mode == "OUTPUTNEW" and target in fields:
                        continue
                    if cell:
                        fields[target] = cell
                    else:
                        fields.pop(target, None)


def tags_of(fields: Dict[str, FieldValue]) -> List[str]:
    value = fields.get("tag")
    return [] if value is None else (value if isinstance(value, list) else [value])


def values_of(fields: Dict[str, FieldValue], name: str) -> List[str]:
    value = fields.get(name)
    return [] if value is None else (value if isinstance(value, list) else [value])


def lookup_rows(name: str = "auth0_log_types.csv") -> List[Dict[str, str]]:
    with open(os.path.join(PACKAGE, "lookups", name), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def package_confs() -> List[str]:
    return sorted(glob.glob(os.path.join(PACKAGE, "default", "*.conf")))
