"""A small interpreter for the SPL ``eval`` expressions the add-on uses (props.conf ``EVAL-*``) and for the
validity expressions of the CIM definitions.

Only what those expressions need is implemented, and anything else raises :class:`EvalError`, so an EVAL that
uses a function this model does not know fails the tests instead of being guessed at. Semantics follow Splunk's
documented behaviour:

* field values are strings, or lists of strings for multivalue fields; a missing field is ``None`` (null);
* a null operand makes ``.``, comparisons and most functions null; ``if``/``case`` treat null as false;
* ``AND``/``OR``/``NOT`` use three-valued logic;
* ``==`` on a multivalue field is true when any value matches, ``!=`` when none does;
* ``split`` keeps empty values, ``mvindex`` counts from 0 and accepts negative indexes;
* ``replace``/``match`` take PCRE patterns (the subset used here means the same in Python's ``re``).
"""

import datetime
import json
import math
import re
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

Value = Union[None, str, float, int, bool, List[str]]


class EvalError(Exception):
    """An expression this model cannot parse or evaluate."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<field>'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|[=<>().,+\-*/%\[\]])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE"}


def _unescape(body: str) -> str:
    """SPL string literals: ``\\"`` is a quote and ``\\\\`` a backslash; other backslashes are kept as written."""
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body) and body[index + 1] in "\"\\'":
            out.append(body[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def tokenize(text: str) -> List[Tuple[str, str]]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise EvalError(f"cannot tokenize {text[position : position + 30]!r}")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            tokens.append(("str", _unescape(value[1:-1])))
        elif kind == "field":
            tokens.append(("field", _unescape(value[1:-1])))
        elif kind == "number":
            tokens.append(("num", value))
        elif kind == "name" and value.upper() in _KEYWORDS:
            tokens.append(("kw", value.upper()))
        elif kind == "name":
            tokens.append(("name", value))
        else:
            tokens.append(("op", value))
    tokens.append(("end", ""))
    return tokens


# --- AST -------------------------------------------------------------------------------------------------------

Node = Tuple[Any, ...]

# Binding powers, lowest first: OR < AND < NOT < comparison < + - . < * / %
_BINARY = {
    "OR": 10,
    "AND": 20,
    "=": 40,
    "==": 40,
    "!=": 40,
    "<": 40,
    ">": 40,
    "<=": 40,
    ">=": 40,
    "LIKE": 40,
    "IN": 40,
    "+": 50,
    "-": 50,
    ".": 50,
    "*": 60,
    "/": 60,
    "%": 60,
}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self) -> Tuple[str, str]:
        return self.tokens[self.position]

    def take(self, kind: Optional[str] = None, value: Optional[str] = None) -> Tuple[str, str]:
        token = self.tokens[self.position]
        if (kind and token[0] != kind) or (value is not None and token[1] != value):
            raise EvalError(f"expected {value or kind} at {token!r} in {self.text!r}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.expression(0)
        self.take("end")
        return node

    def expression(self, min_power: int) -> Node:
        left = self.prefix()
        while True:
            kind, value = self.peek()
            operator = value if kind in ("op", "kw") else None
            power = _BINARY.get(operator) if operator else None
            if power is None or power <= min_power:
                return left
            self.take()
            if operator == "IN":
                left = ("in_list", left, self.list_literal())
                continue
            right = self.expression(power)
            left = ("binary", operator, left, right)

    def list_literal(self) -> List[str]:
        """``x in ['a', 'b']``, the Python-like form used by a CIM validity expression: items are strings."""
        self.take("op", "[")
        items = []
        while self.peek() != ("op", "]"):
            kind, value = self.take()
            if kind not in ("str", "field", "num"):
                raise EvalError(f"bad list item {value!r} in {self.text!r}")
            items.append(value)
            if self.peek() == ("op", ","):
                self.take()
        self.take("op", "]")
        return items

    def prefix(self) -> Node:
        kind, value = self.take()
        if kind == "str":
            return ("literal", value)
        if kind == "num":
            return ("literal", float(value) if "." in value else int(value))
        if kind == "field":
            return ("field", value)
        if kind == "kw" and value in ("IN", "LIKE") and self.peek() == ("op", "("):
            kind, value = "name", value.lower()  # in(...) and like(...) are also functions
        if kind == "kw" and value == "NOT":
            return ("not", self.expression(_BINARY["AND"] + 5))
        if kind == "op" and value == "(":
            node = self.expression(0)
            self.take("op", ")")
            return node
        if kind == "op" and value == "-":
            return ("neg", self.expression(_BINARY["*"]))
        if kind == "name":
            if self.peek() == ("op", "("):
                self.take()
                args = []
                while self.peek() != ("op", ")"):
                    args.append(self.expression(0))
                    if self.peek() == ("op", ","):
                        self.take()
                self.take("op", ")")
                return ("call", value.lower(), args)
            return ("field", value)
        raise EvalError(f"unexpected {value!r} in {self.text!r}")


def parse(text: str) -> Node:
    return _Parser(text).parse()


# --- evaluation ------------------------------------------------------------------------------------------------


def _is_mv(value: Value) -> bool:
    return isinstance(value, list)


def _scalar(value: Value, what: str) -> Value:
    if _is_mv(value):
        raise EvalError(f"{what} got a multivalue field; this model does not guess how Splunk treats it")
    return value


def _text(value: Value) -> Optional[str]:
    value = _scalar(value, "a string function")
    if value is None:
        return None
    if isinstance(value, bool):
        raise EvalError("a boolean is not a string")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Value) -> Optional[float]:
    if isinstance(value, bool) or value is None or _is_mv(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(operator: str, left: Value, right: Value) -> Optional[bool]:
    if left is None or right is None:
        return None
    if _is_mv(left):
        matches = [_compare("==", item, right) for item in left]
        if operator in ("=", "=="):
            return any(matches)
        if operator == "!=":
            return not any(matches)
        raise EvalError(f"ordering comparison on a multivalue field: {operator}")
    if isinstance(left, bool) or isinstance(right, bool):
        raise EvalError("comparison with a boolean")
    left_number, right_number = _number(left), _number(right)
    if left_number is not None and right_number is not None:
        left, right = left_number, right_number
    else:
        left, right = str(left), str(right)
    return {
        "=": left == right,
        "==": left == right,
        "!=": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }[operator]


def _truth(value: Value) -> Optional[bool]:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    raise EvalError(f"{value!r} is not a boolean")


def _like_to_regex(pattern: str) -> str:
    out = []
    for char in pattern:
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return "^" + "".join(out) + "$"


def _replacement(text: str) -> str:
    """SPL replacements use ``\\1``; Python's ``re`` wants ``\\g<1>`` to be unambiguous."""
    return re.sub(r"\\(\d)", r"\\g<\1>", text)


def _json_path(document: Any, path: str) -> Any:
    for part in path.split("."):
        if part.endswith("{}"):
            raise EvalError("array paths in json_extract are not modelled")
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


def _json_text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Evaluator:
    """Evaluates parsed expressions against a dict of field values."""

    def __init__(self, fields: Dict[str, Value], now: Optional[float] = None):
        self.fields = fields
        self.now = now  # the search's time for now(); None where no search runs (props EVALs)

    def evaluate(self, node: Node) -> Value:
        kind = node[0]
        if kind == "literal":
            return node[1]
        if kind == "field":
            value = self.fields.get(node[1])
            return None if value is None else value
        if kind == "not":
            truth = _truth(self.evaluate(node[1]))
            return None if truth is None else not truth
        if kind == "neg":
            number = _number(self.evaluate(node[1]))
            return None if number is None else -number
        if kind == "in_list":
            value = self.evaluate(node[1])
            if value is None:
                return None
            values = value if _is_mv(value) else [value]
            return any(str(item) in node[2] for item in values)
        if kind == "binary":
            return self.binary(node[1], node[2], node[3])
        if kind == "call":
            return self.call(node[1], node[2])
        raise EvalError(f"unknown node {node!r}")

    def binary(self, operator: str, left_node: Node, right_node: Node) -> Value:
        if operator in ("AND", "OR"):
            left = _truth(self.evaluate(left_node))
            if operator == "AND" and left is False:
                return False
            if operator == "OR" and left is True:
                return True
            right = _truth(self.evaluate(right_node))
            if operator == "AND":
                return False if right is False else (None if None in (left, right) else True)
            return True if right is True else (None if None in (left, right) else False)
        left, right = self.evaluate(left_node), self.evaluate(right_node)
        if operator == ".":
            left_text, right_text = _text(left), _text(right)
            return None if left_text is None or right_text is None else left_text + right_text
        if operator == "LIKE":
            return self.call("like", [("literal", left), ("literal", right)])
        if operator in ("+", "-", "*", "/", "%"):
            left_number, right_number = _number(left), _number(right)
            if left_number is None or right_number is None:
                return None
            return {
                "+": left_number + right_number,
                "-": left_number - right_number,
                "*": left_number * right_number,
                "/": left_number / right_number if right_number else None,
                "%": left_number % right_number if right_number else None,
            }[operator]
        return _compare(operator, left, right)

    def call(self, name: str, arg_nodes: List[Node]) -> Value:
        function = _FUNCTIONS.get(name)
        if function is None:
            raise EvalError(f"function {name}() is not modelled")
        if name in _LAZY:
            return function(self, arg_nodes)
        return function(*[self.evaluate(node) for node in arg_nodes])


def _if(evaluator: Evaluator, args: List[Node]) -> Value:
    if len(args) != 3:
        raise EvalError("if() takes 3 arguments")
    return evaluator.evaluate(args[1] if _truth(evaluator.evaluate(args[0])) else args[2])


def _case(evaluator: Evaluator, args: List[Node]) -> Value:
    if len(args) % 2:
        raise EvalError("case() takes condition/value pairs")
    for index in range(0, len(args), 2):
        if _truth(evaluator.evaluate(args[index])):
            return evaluator.evaluate(args[index + 1])
    return None


def _coalesce(evaluator: Evaluator, args: List[Node]) -> Value:
    for node in args:
        value = evaluator.evaluate(node)
        if value is not None:
            return value
    return None


def _in(value: Value, *candidates: Value) -> Optional[bool]:
    if value is None:
        return None
    values = value if _is_mv(value) else [value]
    wanted = {_text(candidate) for candidate in candidates}
    return any(_text(item) in wanted for item in values)


def _nullif(first: Value, second: Value) -> Value:
    if first is None:
        return None
    return None if not _is_mv(first) and _compare("==", first, second) else first


def _match(text: Value, pattern: Value) -> Optional[bool]:
    text, pattern = _text(text), _text(pattern)
    return None if text is None or pattern is None else re.search(pattern, text) is not None


def _like(text: Value, pattern: Value) -> Optional[bool]:
    text, pattern = _text(text), _text(pattern)
    return None if text is None or pattern is None else re.match(_like_to_regex(pattern), text, re.S) is not None


def _replace(text: Value, pattern: Value, replacement: Value) -> Value:
    text, pattern, replacement = _text(text), _text(pattern), _text(replacement)
    if None in (text, pattern, replacement):
        return None
    return re.sub(pattern, _replacement(replacement), text)


def _case_map(function: Callable[[str], str]) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        text = _text(value)
        return None if text is None else function(text)

    return apply


def _split(text: Value, delimiter: Value) -> Value:
    text, delimiter = _text(text), _text(delimiter)
    if text is None or delimiter is None:
        return None
    parts = text.split(delimiter)
    return parts if len(parts) > 1 else parts[0]


def _mvindex(value: Value, start: Value, end: Value = None) -> Value:
    if value is None:
        return None
    values = value if _is_mv(value) else [value]
    first = int(_number(start))
    if end is None:
        return values[first] if -len(values) <= first < len(values) else None
    last = int(_number(end))
    first = first + len(values) if first < 0 else first
    last = last + len(values) if last < 0 else last
    chosen = values[first : last + 1]
    if not chosen:
        return None
    return chosen if len(chosen) > 1 else chosen[0]


def _mvcount(value: Value) -> Value:
    if value is None:
        return None
    return len(value) if _is_mv(value) else 1


def _mvjoin(value: Value, delimiter: Value) -> Value:
    if value is None or delimiter is None:
        return None
    values = value if _is_mv(value) else [value]
    return _text(delimiter).join(values)


def _urldecode(value: Value) -> Value:
    text = _text(value)
    return None if text is None else urllib.parse.unquote(text)


def _json_extract(document: Value, *paths: Value) -> Value:
    text = _text(document)
    if text is None or len(paths) != 1:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return _json_text(_json_path(parsed, _text(paths[0])))


def _json_keys(document: Value) -> Value:
    text = _text(document)
    if text is None:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    return json.dumps(list(parsed), separators=(",", ":"), ensure_ascii=False)


def _now(evaluator: Evaluator, args: List[Node]) -> Value:
    if args or evaluator.now is None:
        raise EvalError("now() needs a search's time and takes no arguments")
    return evaluator.now


def _values(value: Value) -> List[Any]:
    return [] if value is None else (value if _is_mv(value) else [value])


def _mvrange(start: Value, end: Value, step: Value = 1) -> Value:
    first, last, size = _number(start), _number(end), _number(step)
    if first is None or last is None or not size or size < 0:
        return None
    found = []
    moment = first
    while moment < last:
        found.append(moment)
        moment += size
    if not found:
        return None
    return found if len(found) > 1 else found[0]


def _mvfind(value: Value, pattern: Value) -> Value:
    pattern = _text(pattern)
    for index, item in enumerate(_values(value)):
        if re.search(pattern, str(item)):
            return index
    return None


def _mvdedup(value: Value) -> Value:
    found = list(dict.fromkeys(_values(value)))
    if not found:
        return None
    return found if len(found) > 1 else found[0]


def _rounding(function: Callable[[float], float]) -> Callable[[Value], Value]:
    def apply(value: Value) -> Value:
        number = _number(value)
        return None if number is None else function(number)

    return apply


def _tonumber(value: Value, base: Value = 10) -> Value:
    text = _text(value)
    if text is None:
        return None
    try:
        return int(text, int(_number(base))) if int(_number(base)) != 10 else float(text)
    except ValueError:
        return None


def _strftime(value: Value, format_: Value) -> Value:
    number, pattern = _number(value), _text(format_)
    if number is None or pattern is None:
        return None
    moment = datetime.datetime.fromtimestamp(number, tz=datetime.timezone.utc)
    return moment.strftime(pattern.replace("%3N", f"{moment.microsecond // 1000:03d}"))


_RELATIVE = re.compile(r"([+-])(\d*)(s|sec|m|min|h|hr|d|day|w|week)(?:@(s|m|h|d|w))?$")
_SECONDS = {
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hr": 3600,
    "d": 86400,
    "day": 86400,
    "w": 604800,
    "week": 604800,
}


def relative_time(value: Value, specifier: Value) -> Value:
    """``relative_time(t, "-15m@m")``; a specifier Splunk cannot read gives null (as in Splunk)."""
    number, text = _number(value), _text(specifier)
    if number is None or text is None:
        return None
    match = _RELATIVE.match(text.strip())
    if not match:
        return None
    sign, amount, unit, snap = match.groups()
    moment = number + (1 if sign == "+" else -1) * int(amount or 1) * _SECONDS[unit]
    if snap:
        moment -= moment % _SECONDS[snap]
    return moment


def _isnum(value: Value) -> bool:
    return _number(value) is not None


def _len(value: Value) -> Value:
    text = _text(value)
    return None if text is None else len(text)


def _tostring(value: Value) -> Value:
    if isinstance(value, bool):
        return "True" if value else "False"
    return _text(value)


_FUNCTIONS: Dict[str, Callable[..., Value]] = {
    "if": _if,
    "case": _case,
    "coalesce": _coalesce,
    "in": _in,
    "nullif": _nullif,
    "match": _match,
    "like": _like,
    "replace": _replace,
    "lower": _case_map(str.lower),
    "upper": _case_map(str.upper),
    "split": _split,
    "mvindex": _mvindex,
    "mvcount": _mvcount,
    "mvjoin": _mvjoin,
    "urldecode": _urldecode,
    "json_extract": _json_extract,
    "json_keys": _json_keys,
    "null": lambda: None,
    "true": lambda: True,
    "false": lambda: False,
    "isnull": lambda value: value is None,
    "isnotnull": lambda value: value is not None,
    "isnum": _isnum,
    "len": _len,
    "tostring": _tostring,
    "now": _now,
    "mvrange": _mvrange,
    "mvfind": _mvfind,
    "mvdedup": _mvdedup,
    "floor": _rounding(lambda number: float(math.floor(number))),
    "ceil": _rounding(lambda number: float(math.ceil(number))),
    "abs": _rounding(abs),
    "tonumber": _tonumber,
    "strftime": _strftime,
    "relative_time": relative_time,
}
_LAZY = {"if", "case", "coalesce", "now"}


def functions_used(node: Node) -> List[str]:
    """Every function name an expression calls (to list what the model must cover)."""
    found = []
    if node[0] == "call":
        found.append(node[1])
        for arg in node[2]:
            found += functions_used(arg)
    elif node[0] == "binary":
        found += functions_used(node[2]) + functions_used(node[3])
    elif node[0] in ("not", "neg", "in_list"):
        found += functions_used(node[1])
    return found


def fields_used(node: Node) -> List[str]:
    """Every field an expression reads."""
    found = []
    if node[0] == "field":
        found.append(node[1])
    elif node[0] == "call":
        for arg in node[2]:
            found += fields_used(arg)
    elif node[0] == "binary":
        found += fields_used(node[2]) + fields_used(node[3])
    elif node[0] in ("not", "neg", "in_list"):
        found += fields_used(node[1])
    return found


def evaluate(text: str, fields: Dict[str, Value]) -> Value:
    return Evaluator(fields).evaluate(parse(text))
