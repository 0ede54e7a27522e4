"""The subset of the SPL search language used by the add-on's eventtypes and macros and by the CIM data model
constraints: ``field=value`` and ``field!=value`` (``*`` wildcards, case-insensitive values), ``field IN (...)``,
implicit and explicit ``AND``, ``OR``, ``NOT``, parentheses and `` `macro` `` references. Anything else (bare
search terms, other commands) raises :class:`SearchError`.

A term on a field the event does not have is false, also for ``!=`` (as in Splunk); on a multivalue field a term
is true when any value matches (``!=``: when no value does).
"""

import re
from typing import Callable, Dict, List, Optional, Tuple, Union

FieldValue = Union[None, str, List[str]]


class SearchError(Exception):
    """A search this model cannot parse."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<comma>,)
      | (?P<term>[A-Za-z_][A-Za-z0-9_.{}:@-]*\s*(?:!=|=)\s*(?:"(?:[^"\\]|\\.)*"|[^\s()",]+))
      | (?P<word>"(?:[^"\\]|\\.)*"|[^\s(),"]+)
    )""",
    re.VERBOSE,
)


_QUOTED_OR_MACRO = re.compile(r'"(?:[^"\\]|\\.)*"|`([^`(]+)`')


def expand_macros(search: str, macros: Dict[str, str], depth: int = 0) -> str:
    """Macros expanded the way Splunk does: recursively, never inside a quoted string (macros.conf.spec)."""
    if depth > 10:
        raise SearchError("macro recursion")
    if "`" not in search:
        return search

    def substitute(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name is None:  # a quoted string: kept as written
            return match.group(0)
        if name not in macros:
            raise SearchError(f"unknown macro `{name}`")
        return expand_macros(macros[name], macros, depth + 1)

    return _QUOTED_OR_MACRO.sub(substitute, search)


def _tokens(search: str) -> List[Tuple[str, str]]:
    tokens = []
    position = 0
    search = search.strip()
    while position < len(search):
        match = _TOKEN.match(search, position)
        if not match or match.end() == position:
            raise SearchError(f"cannot tokenize {search[position : position + 30]!r}")
        position = match.end()
        tokens.append((match.lastgroup, match.group(match.lastgroup).strip()))
    tokens.append(("end", ""))
    return tokens


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r'\\(["\\])', r"\1", value[1:-1])
    return value


def _pattern(value: str) -> "re.Pattern[str]":
    return re.compile("^" + ".*".join(re.escape(part) for part in value.split("*")) + "$", re.IGNORECASE | re.S)


Predicate = Callable[[Dict[str, FieldValue]], bool]


def _matches(fields: Dict[str, FieldValue], name: str, patterns: List["re.Pattern[str]"]) -> Optional[bool]:
    value = fields.get(name)
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return any(pattern.match(str(item)) for item in values for pattern in patterns)


class _Parser:
    def __init__(self, search: str):
        self.search = search
        self.tokens = _tokens(search)
        self.position = 0

    def peek(self) -> Tuple[str, str]:
        return self.tokens[self.position]

    def take(self) -> Tuple[str, str]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.conjunction()
        if self.peek()[0] != "end":
            raise SearchError(f"unexpected {self.peek()[1]!r} in {self.search!r}")
        return predicate

    # Splunk's search language evaluates NOT, then OR, then AND (explicit or implied):
    # ``a b OR c`` means ``a AND (b OR c)``.
    def conjunction(self) -> Predicate:
        parts = [self.disjunction()]
        while self.peek()[0] not in ("end", "rparen"):
            if self.peek() == ("word", "AND"):
                self.take()
            parts.append(self.disjunction())
        return parts[0] if len(parts) == 1 else (lambda fields: all(part(fields) for part in parts))

    def disjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.peek() == ("word", "OR"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda fields: any(part(fields) for part in parts))

    def negation(self) -> Predicate:
        if self.peek() == ("word", "NOT"):
            self.take()
            inner = self.negation()
            return lambda fields: not inner(fields)
        return self.atom()

    def atom(self) -> Predicate:
        kind, text = self.take()
        if kind == "lparen":
            inner = self.conjunction()
            if self.take()[0] != "rparen":
                raise SearchError(f"missing ) in {self.search!r}")
            return inner
        if kind == "term":
            name, operator, value = re.match(r"([^\s!=]+)\s*(!=|=)\s*(.+)$", text, re.S).groups()
            patterns = [_pattern(_unquote(value))]
            if operator == "=":
                return lambda fields: bool(_matches(fields, name, patterns))
            return lambda fields: _matches(fields, name, patterns) is False
        if kind == "word" and self.peek() == ("word", "IN"):
            self.take()
            if self.take()[0] != "lparen":
                raise SearchError(f"IN needs a list in {self.search!r}")
            patterns = []
            while self.peek()[0] != "rparen":
                item_kind, item = self.take()
                if item_kind == "comma":
                    continue
                if item_kind != "word":
                    raise SearchError(f"bad IN item {item!r}")
                patterns.append(_pattern(_unquote(item)))
            self.take()
            return lambda fields: bool(_matches(fields, text, patterns))
        raise SearchError(f"unsupported search term {text!r} in {self.search!r}")


def compile_search(search: str, macros: Optional[Dict[str, str]] = None) -> Predicate:
    return _Parser(expand_macros(search, macros or {})).parse()


def matches(search: str, fields: Dict[str, FieldValue], macros: Optional[Dict[str, str]] = None) -> bool:
    return compile_search(search, macros)(fields)
