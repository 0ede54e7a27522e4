"""pySigma's Splunk and SQLite backends, adapted to Auth0 events in Splunk's JSON field names.

Both backends are used as libraries; these subclasses change only what Auth0's data needs:

* Splunk: field names with ``{}`` (``data.details.accessedSecrets{}``) are written unquoted, as Splunk's search
  needs them; a regular expression becomes ``| where isnotnull(mvfind('<field>', "<re>"))``, true when any value
  of a multivalue field matches (``| regex`` is not defined on multivalue fields); and a rule that uses
  placeholders is split into the search that runs before the placeholder steps (``prefilter``) and the condition
  that runs after them (``post``), see :mod:`tools.detections.placeholders`.
* SQLite: a condition on a multivalue column (a JSON array, see :mod:`tools.detections.events`) is true when it
  holds for any element (``EXISTS (SELECT 1 FROM json_each(<column>) WHERE ...)``), and string equality is
  case-insensitive.
"""

import copy
import re
from typing import Any, Callable, ClassVar, Dict, List, Optional

from sigma.backends.splunk import SplunkBackend
from sigma.backends.sqlite import sqliteBackend
from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionItem, ConditionNOT, ConditionOR
from sigma.conversion.base import TextQueryBackend
from sigma.conversion.deferred import DeferredTextQueryExpression
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import SigmaRegularExpression, SigmaString

from tools.detections import placeholders

TRUE = "TRUE"
FALSE = "FALSE"


def placeholder_names(value: Any) -> List[str]:
    if isinstance(value, SigmaRegularExpression):
        value = value.regexp
    if isinstance(value, SigmaString) and value.contains_placeholder():
        return [part.name for part in value.s if isinstance(part, placeholders.Placeholder)]
    return []


def is_placeholder_leaf(node: Any) -> bool:
    return isinstance(node, ConditionFieldEqualsValueExpression) and bool(placeholder_names(node.value))


def contains_placeholder(node: Any) -> bool:
    if is_placeholder_leaf(node):
        return True
    return isinstance(node, ConditionItem) and any(contains_placeholder(arg) for arg in node.args)


def placeholder_fields(node: Any, found: Optional[Dict[str, List[str]]] = None) -> Dict[str, List[str]]:
    """Placeholder name -> the fields it is used on, in rule order."""
    found = {} if found is None else found
    if is_placeholder_leaf(node):
        for name in placeholder_names(node.value):
            fields = found.setdefault(name, [])
            if node.field not in fields:
                fields.append(node.field)
    elif isinstance(node, ConditionItem):
        for arg in node.args:
            placeholder_fields(arg, found)
    return found


def _node(cls, args: List[Any]) -> Any:
    return cls(args)


def prefilter(node: Any, negated: bool = False, keep: Optional[Callable[[str], bool]] = None) -> Any:
    """The weakest condition without placeholders (and, with ``keep``, only on the fields ``keep`` accepts) that
    every match of ``node`` satisfies.

    A placeholder comparison, or one on a field ``keep`` rejects, is replaced by the constant that lets the most
    events through (true where it is not negated, false where it is), then constants are folded away.
    """
    if is_placeholder_leaf(node) or (
        keep is not None and _leaf_field(node) is not None and not keep(_leaf_field(node))
    ):
        return FALSE if negated else TRUE
    if isinstance(node, ConditionNOT):
        inner = prefilter(node.args[0], not negated, keep)
        if inner in (TRUE, FALSE):
            return FALSE if inner == TRUE else TRUE
        return _node(ConditionNOT, [inner])
    if isinstance(node, (ConditionAND, ConditionOR)):
        absorbing, neutral = (FALSE, TRUE) if isinstance(node, ConditionAND) else (TRUE, FALSE)
        args = []
        for arg in node.args:
            folded = prefilter(arg, negated, keep)
            if folded == absorbing:
                return absorbing
            if folded != neutral:
                args.append(folded)
        if not args:
            return neutral
        return args[0] if len(args) == 1 else _node(type(node), args)
    return copy.copy(node)


def _leaf_field(node: Any) -> Optional[str]:
    """The field a comparison leaf is on (None for anything else)."""
    if isinstance(node, ConditionItem):
        return None
    field = getattr(node, "field", None)
    return field if isinstance(field, str) else None


def condition_fields(node: Any, found: Optional[List[str]] = None) -> List[str]:
    """Every field a condition compares, in order of first use."""
    found = [] if found is None else found
    field = _leaf_field(node)
    if field is not None and field not in found:
        found.append(field)
    if isinstance(node, ConditionItem):
        for arg in node.args:
            condition_fields(arg, found)
    return found


def post_condition(node: Any, flags: Dict[str, "placeholders.PlaceholderSpec"]) -> Any:
    """What is left to check after the placeholder steps: the top-level conjuncts that use a placeholder (the
    others are already enforced by the prefilter), each placeholder comparison replaced by its step's result."""
    parts = node.args if isinstance(node, ConditionAND) else [node]
    kept = [replace_placeholders(part, flags) for part in parts if contains_placeholder(part)]
    return kept[0] if len(kept) == 1 else _node(ConditionAND, kept)


def replace_placeholders(node: Any, flags: Dict[str, "placeholders.PlaceholderSpec"]) -> Any:
    if is_placeholder_leaf(node):
        names = placeholder_names(node.value)
        if len(names) != 1:
            raise ValueError("a value may hold one placeholder and nothing else")
        spec = flags[names[0]]
        return ConditionFieldEqualsValueExpression(spec.flag_field, SigmaString(spec.flag_value))
    if isinstance(node, ConditionItem):
        args, seen = [], set()
        for arg in node.args:
            replaced = replace_placeholders(arg, flags)
            key = repr(replaced) if is_flag_leaf(replaced) else None
            if key is not None and key in seen:
                continue  # two fields of one placeholder become the same flag test: say it once
            seen.add(key)
            args.append(replaced)
        return args[0] if len(args) == 1 and not isinstance(node, ConditionNOT) else _node(type(node), args)
    return copy.copy(node)


def is_flag_leaf(node: Any) -> bool:
    return isinstance(node, ConditionFieldEqualsValueExpression) and node.field in {
        "watchlist_match",
        *(f"{name}_match" for name in placeholders.LOOKUPS),
    }


def link(node: Any, parent: Any = None) -> Any:
    node.parent = parent
    if isinstance(node, ConditionItem):
        for arg in node.args:
            link(arg, node)
    return node


class SplunkMultivalueRegex(DeferredTextQueryExpression):
    template = "where {op}isnotnull(mvfind('{field}', \"{value}\"))"
    operators: ClassVar[Dict[bool, str]] = {True: "NOT ", False: ""}
    default_field = "_raw"


class Auth0SplunkBackend(SplunkBackend):
    """Splunk SPL for Auth0 JSON events. ``mode``: ``None`` (whole condition), ``prefilter`` (without placeholders,
    and with ``keep`` only on the fields it accepts) or ``post``."""

    field_quote_pattern = re.compile(r"^[\w.{}\-]+$")

    def __init__(
        self,
        processing_pipeline=None,
        mode: Optional[str] = None,
        keep: Optional[Callable[[str], bool]] = None,
        **kwargs,
    ):
        super().__init__(processing_pipeline, **kwargs)
        self.mode = mode
        self.keep = keep
        self._rewriting = False

    def convert_condition(self, cond, state):
        if self.mode is None or self._rewriting:
            return super().convert_condition(cond, state)
        self._rewriting = True
        try:
            if self.mode == "prefilter":
                tree = prefilter(cond, keep=self.keep)
            else:
                names = placeholder_fields(cond)
                tree = post_condition(cond, {name: placeholders.resolve(name) for name in names})
            if tree == TRUE:
                return "*"
            if tree == FALSE:
                raise ValueError("the rule's condition can never match")
            return super().convert_condition(link(tree), state)
        finally:
            self._rewriting = False

    def convert_condition_field_eq_val_str(self, cond, state):
        if placeholder_names(cond.value):
            raise ValueError(f"placeholder on {cond.field} reached the Splunk backend unconverted")
        return super().convert_condition_field_eq_val_str(cond, state)

    def convert_condition_field_eq_val_re(self, cond, state):
        if cond.parent_condition_chain_contains(ConditionOR):
            raise SigmaFeatureNotSupportedByBackendError(
                "TA-auth0 rules keep regular expressions out of OR branches (they become a | where step)"
            )
        regex = TextQueryBackend.convert_condition_field_eq_val_re(self, cond, state)
        return SplunkMultivalueRegex(state, cond.field, regex).postprocess(None, cond)


class Auth0SQLiteBackend(sqliteBackend):
    """SQLite over the table of :mod:`tools.detections.events`."""

    def __init__(self, processing_pipeline=None, **options):
        options.setdefault("table", "logs")
        options.setdefault("timestamp_field", "_time")
        options.setdefault("timestamp_format", "unix")
        options.setdefault("event_id_field", "log_id")
        options.setdefault("collate_nocase", True)
        super().__init__(processing_pipeline, **options)

    def convert_condition_field_eq_val(self, cond, state):
        if cond.field and "{}" in cond.field:
            element = copy.copy(cond)
            element.field = "value"
            expression = super().convert_condition_field_eq_val(element, state)
            column = self.escape_and_quote_field(cond.field)
            return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE {expression})"
        return super().convert_condition_field_eq_val(cond, state)
