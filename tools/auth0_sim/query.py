"""A small Lucene-subset parser for ``GET /api/v2/logs?q=...`` (search mode).

Supported syntax (case-sensitive values, no tokenisation, like Auth0):

* ``field:value``, ``field:"quoted value"``, ``field:*`` (field present and
  not empty), wildcards ``*``/``?`` inside a value (``user_name:*@acme.com``);
* ranges ``field:[A TO B]`` (inclusive), ``{A TO B}`` (exclusive), mixed
  ``[A TO B}``, either end ``*``; on ``date`` the ends are ISO 8601 dates or
  timestamps (``2024-01-01``, ``2024-01-01T10:00:00Z``,
  ``2024-01-01T10:00:00.000Z``); other fields compare as strings;
* ``date:2024-01-01`` (a date without time) matches that UTC day;
* ``AND`` / ``&&``, ``OR`` / ``||``, ``NOT`` / ``!`` / ``-term``, parentheses,
  ``field:(a OR b)``; juxtaposition means AND (documented choice);
* a bare value without ``field:`` matches any top-level field with that exact
  value.

Dotted fields (``details.response.body.client_id``) are accepted too.
"""

import fnmatch
import re

from .timeutil import parse_date_bound


class QueryError(ValueError):
    pass


class Term:
    __slots__ = ("field", "value")

    def __init__(self, field, value):
        self.field, self.value = field, value

    def __repr__(self):
        return "Term(%r, %r)" % (self.field, self.value)


class Wildcard:
    __slots__ = ("field", "pattern", "regex")

    def __init__(self, field, pattern):
        self.field, self.pattern = field, pattern
        self.regex = re.compile(fnmatch.translate(pattern), re.DOTALL)

    def __repr__(self):
        return "Wildcard(%r, %r)" % (self.field, self.pattern)


class Exists:
    __slots__ = ("field",)

    def __init__(self, field):
        self.field = field

    def __repr__(self):
        return "Exists(%r)" % (self.field,)


class Range:
    __slots__ = ("field", "hi", "hi_incl", "lo", "lo_incl")

    def __init__(self, field, lo, hi, lo_incl, hi_incl):
        self.field, self.lo, self.hi, self.lo_incl, self.hi_incl = field, lo, hi, lo_incl, hi_incl

    def __repr__(self):
        return "Range(%r, %r, %r, %r, %r)" % (self.field, self.lo, self.hi, self.lo_incl, self.hi_incl)


class And:
    __slots__ = ("children",)

    def __init__(self, children):
        self.children = children

    def __repr__(self):
        return "And(%r)" % (self.children,)


class Or:
    __slots__ = ("children",)

    def __init__(self, children):
        self.children = children

    def __repr__(self):
        return "Or(%r)" % (self.children,)


class Not:
    __slots__ = ("child",)

    def __init__(self, child):
        self.child = child

    def __repr__(self):
        return "Not(%r)" % (self.child,)


_FIELD_RE = re.compile(r"([A-Za-z_$][\w.$]*):")
_WS = " \t\r\n"
_STOP = _WS + "()"


class _Parser:
    def __init__(self, text):
        self.s = text
        self.i = 0

    def error(self, message):
        raise QueryError("%s at position %d" % (message, self.i))

    def skip_ws(self):
        while self.i < len(self.s) and self.s[self.i] in _WS:
            self.i += 1

    def at_end(self):
        self.skip_ws()
        return self.i >= len(self.s)

    def peek_keyword(self, word):
        self.skip_ws()
        end = self.i + len(word)
        return bool(self.s.startswith(word, self.i) and (end >= len(self.s) or self.s[end] in _STOP))

    def take_keyword(self, *words):
        for word in words:
            if word in ("&&", "||"):
                self.skip_ws()
                if self.s.startswith(word, self.i):
                    self.i += len(word)
                    return True
            elif self.peek_keyword(word):
                self.i += len(word)
                return True
        return False

    def parse(self):
        if self.at_end():
            return None
        node = self.parse_or(None)
        if not self.at_end():
            self.error("unexpected %r" % self.s[self.i : self.i + 20])
        return node

    def parse_or(self, field):
        nodes = [self.parse_and(field)]
        while self.take_keyword("OR", "||"):
            nodes.append(self.parse_and(field))
        return nodes[0] if len(nodes) == 1 else Or(nodes)

    def parse_and(self, field):
        nodes = [self.parse_unary(field)]
        while True:
            if self.at_end() or self.s[self.i] == ")" or self.peek_keyword("OR") or self.s.startswith("||", self.i):
                break
            self.take_keyword("AND", "&&")
            nodes.append(self.parse_unary(field))
        return nodes[0] if len(nodes) == 1 else And(nodes)

    def parse_unary(self, field):
        self.skip_ws()
        if self.take_keyword("NOT"):
            return Not(self.parse_unary(field))
        if (
            self.i < len(self.s)
            and self.s[self.i] in "!-"
            and self.i + 1 < len(self.s)
            and self.s[self.i + 1] not in _WS
        ):
            self.i += 1
            return Not(self.parse_unary(field))
        if self.i < len(self.s) and self.s[self.i] == "+":
            self.i += 1
        return self.parse_primary(field)

    def parse_primary(self, field):
        self.skip_ws()
        if self.i >= len(self.s):
            self.error("unexpected end of query")
        if self.s[self.i] == "(":
            self.i += 1
            node = self.parse_or(field)
            self.skip_ws()
            if self.i >= len(self.s) or self.s[self.i] != ")":
                self.error("missing ')'")
            self.i += 1
            return node
        m = _FIELD_RE.match(self.s, self.i)
        if m:
            self.i = m.end()
            name = m.group(1)
            if self.i < len(self.s) and self.s[self.i] == "(":
                self.i += 1
                node = self.parse_or(name)
                self.skip_ws()
                if self.i >= len(self.s) or self.s[self.i] != ")":
                    self.error("missing ')'")
                self.i += 1
                return node
            return self.parse_value(name)
        return self.parse_value(field)

    def read_quoted(self):
        assert self.s[self.i] == '"'
        self.i += 1
        out = []
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i + 1])
                self.i += 2
                continue
            if ch == '"':
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1
        return self.error("unterminated quoted string")

    def read_word(self, stops):
        out = []
        escaped = False
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i + 1])
                self.i += 2
                escaped = True
                continue
            if ch in stops:
                break
            out.append(ch)
            self.i += 1
        return "".join(out), escaped

    def parse_value(self, field):
        if self.i >= len(self.s):
            self.error("missing value")
        ch = self.s[self.i]
        if ch in "[{":
            if field is None:
                self.error("a range needs a field")
            lo_incl = ch == "["
            self.i += 1
            self.skip_ws()
            lo = self.read_range_end(" \t")
            self.skip_ws()
            if not self.s.startswith("TO", self.i):
                self.error("expected TO in range")
            self.i += 2
            self.skip_ws()
            hi = self.read_range_end(" \t]}")
            self.skip_ws()
            if self.i >= len(self.s) or self.s[self.i] not in "]}":
                self.error("unterminated range")
            hi_incl = self.s[self.i] == "]"
            self.i += 1
            return Range(field, lo, hi, lo_incl, hi_incl)
        if ch == '"':
            return self.make_term(field, self.read_quoted(), literal=True)
        word, escaped = self.read_word(_STOP)
        if not word:
            self.error("missing value")
        return self.make_term(field, word, literal=escaped and "*" not in word and "?" not in word)

    def read_range_end(self, stops):
        if self.i < len(self.s) and self.s[self.i] == '"':
            return self.read_quoted()
        word, _ = self.read_word(stops + "]}")
        if not word:
            self.error("empty range bound")
        return None if word == "*" else word

    def make_term(self, field, value, literal):
        if not literal and value == "*":
            if field is None:
                return And([])  # match everything
            return Exists(field)
        if not literal and ("*" in value or "?" in value):
            return Wildcard(field, value)
        if field == "date":
            try:
                lo, hi = parse_date_bound(value, span=True)
            except ValueError as exc:
                raise QueryError(str(exc)) from None
            return Range("date", lo, hi, True, False)
        return Term(field, value)


def parse_query(text):
    """Parse ``text``; returns an AST node or ``None`` for an empty query."""
    if text is None:
        return None
    node = _Parser(text).parse()
    _convert_dates(node)
    return node


def _convert_dates(node):
    """Turn ``date`` range bounds into epoch seconds (raises QueryError)."""
    if isinstance(node, Range) and node.field == "date":
        try:
            if isinstance(node.lo, str):
                node.lo = parse_date_bound(node.lo)[0]
            if isinstance(node.hi, str):
                node.hi = parse_date_bound(node.hi)[0]
        except ValueError as exc:
            raise QueryError(str(exc)) from None
    elif isinstance(node, (And, Or)):
        for child in node.children:
            _convert_dates(child)
    elif isinstance(node, Not):
        _convert_dates(node.child)


def date_bounds(node):
    """Return ``(lo, hi)`` epoch bounds implied for ``date`` by a top-level AND.

    Used only to narrow a date-sorted scan; the full predicate is still applied.
    ``None`` means unbounded.
    """
    lo = hi = None
    if isinstance(node, Range) and node.field == "date":
        children = [node]
    elif isinstance(node, And):
        children = [c for c in node.children if isinstance(c, Range) and c.field == "date"]
    else:
        return None, None
    for child in children:
        if child.lo is not None and (lo is None or child.lo > lo):
            lo = child.lo
        if child.hi is not None and (hi is None or child.hi < hi):
            hi = child.hi
    return lo, hi


# -- evaluation ---------------------------------------------------------------

_MISSING = object()


def _eq(value, wanted):
    if value is None or value is _MISSING:
        return False
    if isinstance(value, str):
        return value == wanted
    if isinstance(value, bool):
        return ("true" if value else "false") == wanted.lower()
    if isinstance(value, (int, float)):
        return str(value) == wanted
    if isinstance(value, list):
        return any(_eq(v, wanted) for v in value)
    return False


def _wild(value, regex):
    if value is None or value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_wild(v, regex) for v in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif not isinstance(value, str):
        value = str(value)
    return regex.match(value) is not None


def _in_range(value, lo, hi, lo_incl, hi_incl):
    if value is None or value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_in_range(v, lo, hi, lo_incl, hi_incl) for v in value)
    if not isinstance(value, str):
        value = str(value)
    if lo is not None and (value < lo or (value == lo and not lo_incl)):
        return False
    return not (hi is not None and (value > hi or (value == hi and not hi_incl)))


def compile_predicate(node, get_field, get_ts, any_field):
    """Compile ``node`` into ``pred(i) -> bool``.

    ``get_field(i, name)`` returns the field value or ``_MISSING``;
    ``get_ts(i)`` returns the log's date as epoch seconds;
    ``any_field(i)`` returns an iterable of all top-level values.
    """
    if node is None:
        return lambda i: True
    if isinstance(node, And):
        preds = [compile_predicate(c, get_field, get_ts, any_field) for c in node.children]
        if not preds:
            return lambda i: True
        return lambda i: all(p(i) for p in preds)
    if isinstance(node, Or):
        preds = [compile_predicate(c, get_field, get_ts, any_field) for c in node.children]
        return lambda i: any(p(i) for p in preds)
    if isinstance(node, Not):
        pred = compile_predicate(node.child, get_field, get_ts, any_field)
        return lambda i: not pred(i)
    if isinstance(node, Range) and node.field == "date":
        lo, hi, lo_incl, hi_incl = node.lo, node.hi, node.lo_incl, node.hi_incl

        def date_pred(i):
            ts = get_ts(i)
            if lo is not None and (ts < lo or (ts == lo and not lo_incl)):
                return False
            return not (hi is not None and (ts > hi or (ts == hi and not hi_incl)))

        return date_pred
    if isinstance(node, Range):
        f, lo, hi, li, hi_i = node.field, node.lo, node.hi, node.lo_incl, node.hi_incl
        return lambda i: _in_range(get_field(i, f), lo, hi, li, hi_i)
    if isinstance(node, Exists):
        f = node.field

        def exists(i):
            v = get_field(i, f)
            return v is not _MISSING and v is not None and v not in ("", [], {})

        return exists
    if isinstance(node, Wildcard):
        f, rx = node.field, node.regex
        if f is None:
            return lambda i: any(_wild(v, rx) for v in any_field(i))
        return lambda i: _wild(get_field(i, f), rx)
    if isinstance(node, Term):
        f, wanted = node.field, node.value
        if f is None:
            return lambda i: any(_eq(v, wanted) for v in any_field(i))
        return lambda i: _eq(get_field(i, f), wanted)
    raise QueryError("unsupported query node %r" % (node,))
