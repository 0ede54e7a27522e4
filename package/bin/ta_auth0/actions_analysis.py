"""Auth0 Actions read as code: where user-writable data decides scopes, claims or roles.

Each Action is parsed with a real JavaScript parser (``esprima``, from the pure-Python ``esprima2`` package in
``lib/``) and its handlers (``exports.onExecute*``/``onContinue*``, ``module.exports``, ESM exports) are
interpreted abstractly, statement by statement:

* **sources**: ``event.user.user_metadata`` (the user edits it), ``event.request.query``/``body`` (the request),
  and ``event.user.app_metadata.<key>`` when some Action writes ``<key>`` from such data
  (``api.user.setAppMetadata`` or a Management client ``updateAppMetadata``/``update({app_metadata})``);
* **sinks**: ``api.accessToken.addScope``, ``api.accessToken.setCustomClaim``/``api.idToken.setCustomClaim``,
  role assignment through a Management client (``assignRoles``, ``roles.assign``, ...), and
  ``api.user.setAppMetadata`` (user data laundered into trusted metadata);
* a flow is **data** (the tainted value reaches the sink's arguments) or **control** (a tainted condition decides
  whether the sink runs: ``if``, ``?:``, ``&&``, ``switch``, or an early ``return`` before it).

Values carry an access path (``event.user.user_metadata.team``) so that aliases (``const u = event.user``),
destructuring with defaults and rest, optional chaining, ``??``, template literals and ``await`` keep their
origin, and ``api`` keeps its role when renamed or passed to a helper. Calls of functions defined in the Action
are followed (with their arguments), callbacks of other calls (``forEach``, ``then``) run with the receiver's
taint, and any other call returns the union of its inputs' taint. Loops run twice; branches merge by union.
"""

import re
from typing import Any, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Tuple

#: Code longer than this is not analysed (real Actions are a few KB; the limit bounds parse time).
MAX_CODE_CHARS = 200_000
MAX_CALL_DEPTH = 6
#: Interpretation steps per Action and round; past it the analysis stops and says so (bounds adversarial code).
MAX_STEPS = 200_000
HANDLER_NAME = re.compile(r"^on(Execute|Continue)[A-Za-z]+$")

SINK_ADD_SCOPE = "api.accessToken.addScope"
SINK_ACCESS_CLAIM = "api.accessToken.setCustomClaim"
SINK_ID_CLAIM = "api.idToken.setCustomClaim"
SINK_SET_APP_METADATA = "api.user.setAppMetadata"
SINK_ROLE = "role assignment"
_API_SINKS = {
    ("api", "accessToken", "addScope"): SINK_ADD_SCOPE,
    ("api", "accessToken", "setCustomClaim"): SINK_ACCESS_CLAIM,
    ("api", "idToken", "setCustomClaim"): SINK_ID_CLAIM,
    ("api", "user", "setAppMetadata"): SINK_SET_APP_METADATA,
}
_ROLE_METHODS = {"assignRoles", "assignRolestoUser", "assignRolesToUser", "assignUsersToRole", "assignPermissions",
                 "addPermissionsInRole", "assignUsers"}  # fmt: skip
_APP_METADATA_METHODS = {"updateAppMetadata"}
PRIVILEGED_CLAIM = re.compile(r"role|perm|admin|scope|group|tenant|org|entitle|plan|tier", re.IGNORECASE)

#: Finding ids per sink (see findings.py).
FINDING_OF_SINK = {
    SINK_ADD_SCOPE: "action_user_data_grants_scope",
    SINK_ACCESS_CLAIM: "action_user_data_sets_claim",
    SINK_ID_CLAIM: "action_user_data_sets_claim",
    SINK_ROLE: "action_user_data_assigns_role",
    SINK_SET_APP_METADATA: "action_user_data_to_app_metadata",
}


class Source(NamedTuple):
    kind: str  # user_metadata | request | app_metadata
    text: str  # the access path as written after aliases are resolved, e.g. event.user.user_metadata.team
    line: int
    note: str = ""  # for app_metadata: which Action writes the key from user data


Taint = FrozenSet[Source]
_EMPTY: Taint = frozenset()


class Value:
    """An abstract value: where it comes from (``path`` from ``event``/``api``) and what taints it."""

    __slots__ = ("function", "literal", "path", "props", "taint")

    def __init__(self, path=None, taint=_EMPTY, literal=None, function=None, props=None):
        self.path: Optional[Tuple[str, ...]] = path
        self.taint: Taint = taint
        self.literal = literal
        self.function = function  # (node, closure env)
        self.props: Optional[Dict[str, Value]] = props


UNKNOWN = Value()


def _join(first: Value, second: Value) -> Value:
    if first is second:
        return first
    path = first.path if first.path == second.path else None
    function = first.function if first.function is second.function else None
    return Value(path, first.taint | second.taint, function=function)


def _tainted(value: Value, taint: Taint) -> Value:
    if not taint:
        return value
    return Value(value.path, value.taint | taint, value.literal, value.function, value.props)


class Flow(NamedTuple):
    sink: str
    sink_text: str
    sink_line: int
    source: Source
    flow: str  # data | control
    via: Tuple[str, ...]
    claim: Optional[str]


class Writer(NamedTuple):
    action: str
    line: int
    sources: Tuple[Source, ...]


class Env:
    def __init__(self, parent: Optional["Env"] = None):
        self.parent = parent
        self.names: Dict[str, Value] = {}

    def lookup(self, name: str) -> Optional[Value]:
        env: Optional[Env] = self
        while env is not None:
            if name in env.names:
                return env.names[name]
            env = env.parent
        return None

    def define(self, name: str, value: Value) -> None:
        self.names[name] = value

    def assign(self, name: str, value: Value, weak: bool) -> None:
        env: Optional[Env] = self
        while env is not None:
            if name in env.names:
                env.names[name] = _join(env.names[name], value) if weak else value
                return
            env = env.parent
        self.names[name] = value  # an implicit global


def _line(node: Any) -> int:
    try:
        return int(node["loc"]["start"]["line"])
    except (KeyError, TypeError, ValueError):
        return 0


def parse_code(code: str) -> Dict[str, Any]:
    """The ESTree of an Action (script first, then module for ESM); raises ``ActionParseError``."""
    try:
        import esprima
    except ImportError as missing:
        raise ActionParseError("the JavaScript parser (esprima2) is not installed in the add-on's lib/", 0) from missing
    if len(code) > MAX_CODE_CHARS:
        raise ActionParseError(f"the code is longer than {MAX_CODE_CHARS} characters", 0)
    errors = []
    for parse in (esprima.parseScript, esprima.parseModule):
        try:
            return parse(code, {"loc": True}).toDict()
        except RecursionError:
            raise ActionParseError("the code is nested too deeply to parse", 0) from None
        except Exception as error:  # esprima raises its own Error type with lineNumber/description
            errors.append(error)
    first = errors[0]
    raise ActionParseError(str(getattr(first, "description", None) or first), int(getattr(first, "lineNumber", 0) or 0))


class AnalysisBudgetExceeded(Exception):
    pass


class ActionParseError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


class _Frame:
    def __init__(self, via: Tuple[str, ...]):
        self.via = via
        self.returned = UNKNOWN
        self.has_return = False


class _Interpreter:
    """Abstract interpretation of one Action's code."""

    def __init__(self, action_name: str, tainted_keys: Dict[str, Writer]):
        self.action_name = action_name
        self.tainted_keys = tainted_keys
        self.flows: List[Flow] = []
        self.writers: Dict[str, Writer] = {}
        self.handlers: List[str] = []
        self._depth = 0
        self._active: List[int] = []
        self._steps = 0

    def _step(self) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise AnalysisBudgetExceeded(f"the analysis stopped after {MAX_STEPS} steps (the code is too complex)")

    # -- sources -------------------------------------------------------------------------------------------------
    def path_value(self, path: Tuple[str, ...], line: int, extra: Taint = _EMPTY) -> Value:
        return Value(path, self.path_taint(path, line) | extra)

    def path_taint(self, path: Tuple[str, ...], line: int) -> Taint:
        if len(path) >= 3 and path[:3] == ("event", "user", "user_metadata"):
            return frozenset({Source("user_metadata", ".".join(path), line)})
        if len(path) >= 3 and path[:2] == ("event", "request") and path[2] in ("query", "body"):
            return frozenset({Source("request", ".".join(path), line)})
        if len(path) >= 4 and path[:3] == ("event", "user", "app_metadata") and self.tainted_keys:
            key = path[3]
            writer = self.tainted_keys.get(key) or self.tainted_keys.get("*")
            if writer is None and key == "*":
                writer = next(iter(self.tainted_keys.values()))
            if writer is not None:
                origin = ", ".join(sorted({s.text for s in writer.sources}))[:200]
                note = f"written by Action {writer.action!r} (line {writer.line}) from {origin}"
                return frozenset({Source("app_metadata", ".".join(path), line, note)})
        return _EMPTY

    # -- module level --------------------------------------------------------------------------------------------
    def run(self, program: Dict[str, Any]) -> None:
        env = Env()
        body = program.get("body") or []
        self.hoist(body, env)
        handlers: List[Tuple[str, Value]] = []
        for statement in body:
            self.exec_stmt(statement, env, _EMPTY, _Frame(()), weak=False)
            handlers.extend(self.exported_handlers(statement, env))
        for name, value in handlers:
            if value.function is None:
                continue
            self.handlers.append(name)
            node, closure = value.function
            params = node.get("params") or []
            args = [Value(("event",)), Value(("api",))]
            self.call_function(node, closure, args[: max(len(params), 2)], _EMPTY, ())

    def exported_handlers(self, statement: Dict[str, Any], env: Env) -> List[Tuple[str, Value]]:
        found: List[Tuple[str, Value]] = []
        kind = statement.get("type")
        if kind == "ExpressionStatement":
            expression = statement.get("expression") or {}
            if expression.get("type") == "AssignmentExpression":
                target = self.member_text(expression.get("left"))
                right = expression.get("right") or {}
                name = target.rsplit(".", 1)[-1] if target else ""
                if target in (f"exports.{name}", f"module.exports.{name}") and HANDLER_NAME.match(name):
                    found.append((name, self.eval(right, env, _EMPTY, _Frame(()))))
                elif target == "module.exports" and right.get("type") == "ObjectExpression":
                    found.extend(self.object_handlers(right, env))
        elif kind == "ExportNamedDeclaration":
            declaration = statement.get("declaration") or {}
            if declaration.get("type") == "FunctionDeclaration":
                name = (declaration.get("id") or {}).get("name", "")
                if HANDLER_NAME.match(name):
                    found.append((name, env.lookup(name) or UNKNOWN))
            elif declaration.get("type") == "VariableDeclaration":
                for declarator in declaration.get("declarations") or []:
                    name = (declarator.get("id") or {}).get("name", "")
                    if HANDLER_NAME.match(name):
                        found.append((name, env.lookup(name) or UNKNOWN))
            for specifier in statement.get("specifiers") or []:
                exported = (specifier.get("exported") or {}).get("name", "")
                local = (specifier.get("local") or {}).get("name", "")
                if HANDLER_NAME.match(exported):
                    found.append((exported, env.lookup(local) or UNKNOWN))
        return found

    def object_handlers(self, node: Dict[str, Any], env: Env) -> List[Tuple[str, Value]]:
        found = []
        for prop in node.get("properties") or []:
            if prop.get("type") != "Property":
                continue
            name = self.key_name(prop, env, _EMPTY, _Frame(()))
            if name and HANDLER_NAME.match(name):
                found.append((name, self.eval(prop.get("value"), env, _EMPTY, _Frame(()))))
        return found

    # -- helpers -------------------------------------------------------------------------------------------------
    def member_text(self, node: Optional[Dict[str, Any]]) -> str:
        """``a.b.c`` for a chain of non-computed members over an identifier (else "")."""
        if not node:
            return ""
        kind = node.get("type")
        if kind == "Identifier":
            return node.get("name", "")
        if kind == "ChainExpression":
            return self.member_text(node.get("expression"))
        if kind == "MemberExpression" and not node.get("computed"):
            base = self.member_text(node.get("object"))
            return f"{base}.{(node.get('property') or {}).get('name', '')}" if base else ""
        if kind == "ThisExpression":
            return "this"
        return ""

    def key_name(self, prop: Dict[str, Any], env: Env, ctrl: Taint, frame: _Frame) -> Optional[str]:
        key = prop.get("key") or {}
        if prop.get("computed"):
            value = self.eval(key, env, ctrl, frame)
            return str(value.literal) if isinstance(value.literal, (str, int, float)) else None
        if key.get("type") == "Identifier":
            return key.get("name")
        if key.get("type") == "Literal":
            return str(key.get("value"))
        return None

    def hoist(self, statements: Sequence[Dict[str, Any]], env: Env) -> None:
        for statement in statements:
            node = statement
            if node.get("type") == "ExportNamedDeclaration" and node.get("declaration"):
                node = node["declaration"]
            if node.get("type") == "FunctionDeclaration" and node.get("id"):
                env.define(node["id"]["name"], Value(function=(node, env)))

    # -- statements ----------------------------------------------------------------------------------------------
    def exec_block(self, statements: Sequence[Any], env: Env, ctrl: Taint, frame: _Frame, weak: bool) -> bool:
        """Run statements; True when the block always returns or throws."""
        self.hoist(statements, env)
        for statement in statements:
            terminates, guard = self.exec_stmt(statement, env, ctrl, frame, weak)
            ctrl = ctrl | guard
            if terminates:
                return True
        return False

    def exec_stmt(self, node: Any, env: Env, ctrl: Taint, frame: _Frame, weak: bool) -> Tuple[bool, Taint]:
        if not isinstance(node, dict):
            return False, _EMPTY
        self._step()
        kind = node.get("type")
        if kind == "ExpressionStatement":
            self.eval(node.get("expression"), env, ctrl, frame)
        elif kind == "VariableDeclaration":
            for declarator in node.get("declarations") or []:
                init = declarator.get("init")
                value = self.eval(init, env, ctrl, frame) if init else UNKNOWN
                self.bind(declarator.get("id"), value, env, ctrl, frame, declare=True, weak=False)
        elif kind in ("ExportNamedDeclaration", "ExportDefaultDeclaration"):
            declaration = node.get("declaration")
            if isinstance(declaration, dict) and declaration.get("type") not in ("FunctionDeclaration",):
                if declaration.get("type", "").endswith("Expression"):
                    self.eval(declaration, env, ctrl, frame)
                else:
                    return self.exec_stmt(declaration, env, ctrl, frame, weak)
        elif kind == "BlockStatement":
            return self.exec_block(node.get("body") or [], Env(env), ctrl, frame, weak), _EMPTY
        elif kind == "ReturnStatement":
            value = self.eval(node.get("argument"), env, ctrl, frame) if node.get("argument") else UNKNOWN
            frame.returned = _join(frame.returned, value) if frame.has_return else value
            frame.has_return = True
            return True, _EMPTY
        elif kind == "ThrowStatement":
            self.eval(node.get("argument"), env, ctrl, frame)
            return True, _EMPTY
        elif kind == "IfStatement":
            test = self.eval(node.get("test"), env, ctrl, frame)
            inner = ctrl | test.taint
            then_ends = self.exec_stmt(node.get("consequent"), Env(env), inner, frame, True)[0]
            else_ends = False
            if node.get("alternate"):
                else_ends = self.exec_stmt(node.get("alternate"), Env(env), inner, frame, True)[0]
            if then_ends and else_ends:
                return True, _EMPTY
            if then_ends or else_ends:  # an early exit: what follows runs only when the test decided so
                return False, test.taint
        elif kind in ("ForStatement", "WhileStatement", "DoWhileStatement"):
            loop_env = Env(env)
            if node.get("init"):
                init = node["init"]
                if init.get("type") == "VariableDeclaration":
                    self.exec_stmt(init, loop_env, ctrl, frame, weak)
                else:
                    self.eval(init, loop_env, ctrl, frame)
            for _ in range(2):
                test = self.eval(node.get("test"), loop_env, ctrl, frame) if node.get("test") else UNKNOWN
                self.exec_stmt(node.get("body"), Env(loop_env), ctrl | test.taint, frame, True)
                if node.get("update"):
                    self.eval(node["update"], loop_env, ctrl, frame)
        elif kind in ("ForOfStatement", "ForInStatement"):
            right = self.eval(node.get("right"), env, ctrl, frame)
            element = Value(
                None, right.taint | (self.path_taint((*right.path, "*"), _line(node)) if right.path else _EMPTY)
            )
            for _ in range(2):
                loop_env = Env(env)
                left = node.get("left") or {}
                target = left["declarations"][0]["id"] if left.get("type") == "VariableDeclaration" else left
                self.bind(target, element, loop_env, ctrl, frame, declare=True, weak=False)
                self.exec_stmt(node.get("body"), loop_env, ctrl, frame, True)
        elif kind == "SwitchStatement":
            discriminant = self.eval(node.get("discriminant"), env, ctrl, frame)
            inner = ctrl | discriminant.taint
            case_env = Env(env)
            for case in node.get("cases") or []:
                test = self.eval(case.get("test"), case_env, inner, frame) if case.get("test") else UNKNOWN
                self.exec_block(case.get("consequent") or [], case_env, inner | test.taint, frame, True)
        elif kind == "TryStatement":
            self.exec_stmt(node.get("block"), env, ctrl, frame, weak)
            handler = node.get("handler")
            if handler:
                catch_env = Env(env)
                if handler.get("param"):
                    self.bind(handler["param"], UNKNOWN, catch_env, ctrl, frame, declare=True, weak=False)
                self.exec_stmt(handler.get("body"), catch_env, ctrl, frame, True)
            if node.get("finalizer"):
                self.exec_stmt(node["finalizer"], env, ctrl, frame, weak)
        elif kind == "LabeledStatement":
            return self.exec_stmt(node.get("body"), env, ctrl, frame, weak)
        elif kind == "ClassDeclaration":
            self.eval_class(node, env, ctrl, frame)
        return False, _EMPTY

    # -- binding -------------------------------------------------------------------------------------------------
    def member_of(self, value: Value, name: Optional[str], line: int, key_taint: Taint = _EMPTY) -> Value:
        if value.props is not None and name is not None and name in value.props:
            return _tainted(value.props[name], key_taint)
        if value.path is not None:
            return self.path_value((*value.path, name if name is not None else "*"), line, key_taint)
        return Value(None, value.taint | key_taint)

    def bind(self, pattern: Any, value: Value, env: Env, ctrl: Taint, frame: _Frame, declare: bool, weak: bool) -> None:
        if not isinstance(pattern, dict):
            return
        kind = pattern.get("type")
        if kind == "Identifier":
            if declare:
                env.define(pattern["name"], value)
            else:
                env.assign(pattern["name"], value, weak)
        elif kind == "ObjectPattern":
            for prop in pattern.get("properties") or []:
                if prop.get("type") == "RestElement":
                    self.bind(prop.get("argument"), Value(value.path, value.taint), env, ctrl, frame, declare, weak)
                    continue
                key_taint = _EMPTY
                if prop.get("computed"):
                    key_value = self.eval(prop.get("key"), env, ctrl, frame)
                    key_taint = key_value.taint
                    name = str(key_value.literal) if isinstance(key_value.literal, (str, int)) else None
                else:
                    name = self.key_name(prop, env, ctrl, frame)
                child = self.member_of(value, name, _line(prop), key_taint)
                self.bind(prop.get("value"), child, env, ctrl, frame, declare, weak)
        elif kind == "ArrayPattern":
            for element in pattern.get("elements") or []:
                if element is None:
                    continue
                target = element.get("argument") if element.get("type") == "RestElement" else element
                self.bind(target, self.member_of(value, None, _line(element)), env, ctrl, frame, declare, weak)
        elif kind == "AssignmentPattern":
            default = self.eval(pattern.get("right"), env, ctrl, frame)
            merged = Value(value.path, value.taint | default.taint, value.literal, value.function, value.props)
            self.bind(pattern.get("left"), merged, env, ctrl, frame, declare, weak)
        elif kind == "RestElement":
            self.bind(pattern.get("argument"), value, env, ctrl, frame, declare, weak)
        elif kind == "MemberExpression":
            self.assign_member(pattern, value, env, ctrl, frame)

    def assign_member(self, target: Dict[str, Any], value: Value, env: Env, ctrl: Taint, frame: _Frame) -> None:
        """``obj.x = v``: the variable holding ``obj`` becomes tainted by ``v`` (and by a tainted key)."""
        base = target
        while base.get("type") == "MemberExpression":
            base = base.get("object") or {}
        if base.get("type") != "Identifier":
            return
        key_taint = _EMPTY
        if target.get("computed"):
            key_taint = self.eval(target.get("property"), env, ctrl, frame).taint
        current = env.lookup(base["name"])
        if current is not None and current.path is not None:
            return  # writing into event/api objects does not taint them for later reads
        taint = value.taint | key_taint | ctrl
        if taint:
            env.assign(base["name"], Value(None, (current.taint if current else _EMPTY) | taint), weak=True)

    # -- expressions ---------------------------------------------------------------------------------------------
    def eval(self, node: Any, env: Env, ctrl: Taint, frame: _Frame) -> Value:
        if not isinstance(node, dict):
            return UNKNOWN
        self._step()
        kind = node.get("type")
        if kind == "Identifier":
            found = env.lookup(node.get("name", ""))
            return found if found is not None else UNKNOWN
        if kind == "Literal":
            return Value(literal=node.get("value"))
        if kind == "TemplateLiteral":
            values = [self.eval(e, env, ctrl, frame) for e in node.get("expressions") or []]
            if not values:
                quasis = node.get("quasis") or []
                return Value(literal="".join(((q.get("value") or {}).get("cooked") or "") for q in quasis))
            return Value(None, frozenset().union(*(v.taint for v in values)))
        if kind == "ChainExpression":
            return self.eval(node.get("expression"), env, ctrl, frame)
        if kind == "MemberExpression":
            obj = self.eval(node.get("object"), env, ctrl, frame)
            if node.get("computed"):
                key = self.eval(node.get("property"), env, ctrl, frame)
                name = str(key.literal) if isinstance(key.literal, (str, int)) else None
                return self.member_of(obj, name, _line(node), key.taint)
            return self.member_of(obj, (node.get("property") or {}).get("name"), _line(node))
        if kind in ("CallExpression", "NewExpression"):
            return self.eval_call(node, env, ctrl, frame)
        if kind == "AwaitExpression":
            return self.eval(node.get("argument"), env, ctrl, frame)
        if kind == "AssignmentExpression":
            right = self.eval(node.get("right"), env, ctrl, frame)
            left = node.get("left") or {}
            if node.get("operator") != "=":
                right = _join(self.eval(left, env, ctrl, frame), right)
            if left.get("type") == "MemberExpression":
                self.assign_member(left, right, env, ctrl, frame)
            else:
                self.bind(left, _tainted(right, ctrl), env, ctrl, frame, declare=False, weak=bool(ctrl))
            return right
        if kind in ("BinaryExpression", "LogicalExpression"):
            left = self.eval(node.get("left"), env, ctrl, frame)
            inner = ctrl | left.taint if kind == "LogicalExpression" else ctrl
            right = self.eval(node.get("right"), env, inner, frame)
            if kind == "LogicalExpression" and left.path is not None and left.path == right.path:
                return left
            return Value(None, left.taint | right.taint)
        if kind == "ConditionalExpression":
            test = self.eval(node.get("test"), env, ctrl, frame)
            inner = ctrl | test.taint
            consequent = self.eval(node.get("consequent"), env, inner, frame)
            alternate = self.eval(node.get("alternate"), env, inner, frame)
            return Value(None, test.taint | consequent.taint | alternate.taint)
        if kind in ("UnaryExpression", "UpdateExpression", "SpreadElement", "YieldExpression"):
            return Value(None, self.eval(node.get("argument"), env, ctrl, frame).taint)
        if kind == "SequenceExpression":
            result = UNKNOWN
            for expression in node.get("expressions") or []:
                result = self.eval(expression, env, ctrl, frame)
            return result
        if kind == "ObjectExpression":
            props: Dict[str, Value] = {}
            taint: Taint = _EMPTY
            for prop in node.get("properties") or []:
                if prop.get("type") == "SpreadElement":
                    taint |= self.eval(prop.get("argument"), env, ctrl, frame).taint
                    continue
                value = self.eval(prop.get("value"), env, ctrl, frame)
                name = self.key_name(prop, env, ctrl, frame)
                if name is not None:
                    props[name] = value
                if prop.get("computed"):
                    taint |= self.eval(prop.get("key"), env, ctrl, frame).taint
                taint |= value.taint
            return Value(None, taint, props=props)
        if kind == "ArrayExpression":
            values = [self.eval(e, env, ctrl, frame) for e in node.get("elements") or [] if e is not None]
            return Value(None, frozenset().union(*(v.taint for v in values)) if values else _EMPTY)
        if kind in ("ArrowFunctionExpression", "FunctionExpression"):
            return Value(function=(node, env))
        if kind == "TaggedTemplateExpression":
            return Value(None, self.eval(node.get("quasi"), env, ctrl, frame).taint)
        if kind in ("ClassExpression",):
            self.eval_class(node, env, ctrl, frame)
        return UNKNOWN

    def eval_class(self, node: Dict[str, Any], env: Env, ctrl: Taint, frame: _Frame) -> None:
        """Class methods run once with unknown arguments (sinks inside are still found)."""
        for member in (node.get("body") or {}).get("body") or []:
            value = member.get("value")
            if isinstance(value, dict) and value.get("type") in ("FunctionExpression", "ArrowFunctionExpression"):
                self.call_function(value, env, [], ctrl, frame.via)

    def call_function(self, node: Dict[str, Any], closure: Env, args: List[Value], ctrl: Taint, via: Tuple[str, ...]):
        if self._depth >= MAX_CALL_DEPTH or id(node) in self._active:
            return Value(None, frozenset().union(*(a.taint for a in args)) if args else _EMPTY)
        self._depth += 1
        self._active.append(id(node))
        try:
            env = Env(closure)
            if node.get("id") and node.get("type") == "FunctionExpression":
                env.define(node["id"]["name"], Value(function=(node, closure)))
            frame = _Frame(via)
            for index, param in enumerate(node.get("params") or []):
                value = args[index] if index < len(args) else UNKNOWN
                self.bind(param, value, env, ctrl, frame, declare=True, weak=False)
            body = node.get("body") or {}
            if body.get("type") == "BlockStatement":
                self.exec_block(body.get("body") or [], env, ctrl, frame, weak=False)
                return frame.returned if frame.has_return else UNKNOWN
            return self.eval(body, env, ctrl, frame)
        finally:
            self._active.pop()
            self._depth -= 1

    def eval_call(self, node: Dict[str, Any], env: Env, ctrl: Taint, frame: _Frame) -> Value:
        callee = node.get("callee") or {}
        if callee.get("type") == "ChainExpression":
            callee = callee.get("expression") or {}
        receiver = UNKNOWN
        method = None
        if callee.get("type") == "MemberExpression":
            receiver = self.eval(callee.get("object"), env, ctrl, frame)
            if callee.get("computed"):
                key = self.eval(callee.get("property"), env, ctrl, frame)
                method = str(key.literal) if isinstance(key.literal, str) else None
            else:
                method = (callee.get("property") or {}).get("name")
            target = self.member_of(receiver, method, _line(callee))
        else:
            target = self.eval(callee, env, ctrl, frame)
        args = [self.eval(a, env, ctrl, frame) for a in node.get("arguments") or []]
        line = _line(node)
        sink = _API_SINKS.get(target.path) if target.path else None
        if sink is not None:
            self.record_sink(sink, ".".join(target.path or ()), line, args, ctrl, frame)
            return UNKNOWN
        callee_text = self.member_text(callee)
        if method in _ROLE_METHODS or callee_text.endswith((".roles.assign", ".roles.add")):
            self.record_sink(SINK_ROLE, callee_text or str(method), line, args, ctrl, frame)
            return UNKNOWN
        if method in _APP_METADATA_METHODS or method == "update":
            self.record_management_metadata_write(method, callee_text or str(method), args, line, ctrl, frame)
        if target.function is not None and node.get("type") == "CallExpression":
            fn_node, closure = target.function
            name = self.member_text(callee) or "function"
            return self.call_function(fn_node, closure, args, ctrl, (*frame.via, f"{name}() at line {line}"))
        # Any other call: callbacks run with the inputs' taint; the result carries every input's taint.
        inputs = receiver.taint | frozenset().union(*(a.taint for a in args)) if args else receiver.taint
        result = Value(None, inputs)
        for arg in args:
            if arg.function is not None:
                fn_node, closure = arg.function
                params = fn_node.get("params") or []
                returned = self.call_function(fn_node, closure, [Value(None, inputs)] * len(params), ctrl, frame.via)
                result = Value(None, result.taint | returned.taint)
        return result

    # -- sinks ---------------------------------------------------------------------------------------------------
    def record_sink(self, sink: str, text: str, line: int, args: List[Value], ctrl: Taint, frame: _Frame) -> None:
        data: Taint = frozenset().union(*(a.taint for a in args)) if args else _EMPTY
        if sink == SINK_SET_APP_METADATA and (data or ctrl):
            key = args[0].literal if args and isinstance(args[0].literal, str) else "*"
            value_taint = (args[1].taint if len(args) > 1 else _EMPTY) | ctrl
            if value_taint:
                self.writers.setdefault(key, Writer(self.action_name, line, tuple(sorted(value_taint))))
        if sink == SINK_SET_APP_METADATA:  # reading the key it writes itself is not a flow into it
            own = f"Action {self.action_name!r} "
            data = frozenset(
                s for s in data if not (s.kind == "app_metadata" and s.note.startswith("written by " + own))
            )
            ctrl = frozenset(
                s for s in ctrl if not (s.kind == "app_metadata" and s.note.startswith("written by " + own))
            )
        claim = args[0].literal if sink in (SINK_ACCESS_CLAIM, SINK_ID_CLAIM) and args else None
        for source in sorted(data):
            self.flows.append(
                Flow(sink, text, line, source, "data", frame.via, claim if isinstance(claim, str) else None)
            )
        for source in sorted(ctrl - data):
            self.flows.append(
                Flow(sink, text, line, source, "control", frame.via, claim if isinstance(claim, str) else None)
            )

    def record_management_metadata_write(
        self, method: Optional[str], text: str, args: List[Value], line: int, ctrl: Taint, frame: _Frame
    ) -> None:
        """A Management client writing app_metadata (``updateAppMetadata(id, {k: v})``,
        ``update(id, {app_metadata: {k: v}})``): tainted keys become sources, and the write is a flow."""
        data: Taint = _EMPTY
        written = False
        for arg in args[1:]:
            fields = arg.props or {}
            if method == "update":
                nested = fields.get("app_metadata")
                fields = (nested.props or {}) if nested is not None else {}
            for key, value in fields.items():
                taint = value.taint | ctrl
                if taint:
                    written = True
                    data |= value.taint
                    self.writers.setdefault(key, Writer(self.action_name, line, tuple(sorted(taint))))
        if not written:
            return
        for source in sorted(data):
            self.flows.append(Flow(SINK_SET_APP_METADATA, text, line, source, "data", frame.via, None))
        for source in sorted(ctrl - data):
            self.flows.append(Flow(SINK_SET_APP_METADATA, text, line, source, "control", frame.via, None))


class ActionReport(NamedTuple):
    action_id: str
    action_name: str
    handlers: Tuple[str, ...]
    flows: Tuple[Flow, ...]
    error: Optional[str]
    error_line: int


def analyze_actions(actions: Sequence[Dict[str, Any]], max_rounds: int = 4) -> Dict[str, ActionReport]:
    """Analyse every Action's deployed code (else its draft); app_metadata keys that one Action writes from
    user-writable data become sources for all of them (repeated until no new key appears)."""
    trees: Dict[str, Tuple[str, Optional[Dict[str, Any]], Optional[str], int]] = {}
    for action in actions:
        action_id = str(action.get("id") or action.get("name") or len(trees))
        name = str(action.get("name") or action_id)
        deployed = action.get("deployed_version") if isinstance(action.get("deployed_version"), dict) else {}
        code = deployed.get("code") if isinstance(deployed.get("code"), str) else action.get("code")
        if not isinstance(code, str):
            trees[action_id] = (name, None, "the Action has no code to analyse", 0)
            continue
        try:
            trees[action_id] = (name, parse_code(code), None, 0)
        except ActionParseError as error:
            trees[action_id] = (name, None, str(error), error.line)
    tainted_keys: Dict[str, Writer] = {}
    reports: Dict[str, ActionReport] = {}
    for _ in range(max_rounds):
        writers: Dict[str, Writer] = {}
        reports = {}
        for action_id, (name, tree, error, error_line) in trees.items():
            if tree is None:
                reports[action_id] = ActionReport(action_id, name, (), (), error, error_line)
                continue
            interpreter = _Interpreter(name, tainted_keys)
            try:
                interpreter.run(tree)
                problem = None
            except RecursionError:
                problem = "the code is nested too deeply to analyse completely"
            except AnalysisBudgetExceeded as exceeded:
                problem = str(exceeded)
            for key, writer in interpreter.writers.items():
                writers.setdefault(key, writer)
            flows = tuple(dict.fromkeys(interpreter.flows))
            reports[action_id] = ActionReport(action_id, name, tuple(interpreter.handlers), flows, problem, 0)
        if set(writers) <= set(tainted_keys):
            break
        for key, writer in writers.items():
            tainted_keys.setdefault(key, writer)
    return reports
