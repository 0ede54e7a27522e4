"""A detection as a Splunk saved search: the SPL, its macros, and the savedsearches.conf stanza.

The SPL of every detection has the same shape::

    `auth0_logs` <the Sigma condition, or the part of it that needs no placeholder>   (`auth0_inventory`: posture)
    [| auth0watchlist ... / | lookup ...   | search <the rest>]          placeholders
    [| sort 0 - _time | dedup <key> | search <condition>]                  state rules: latest event per key
    [<post step>]                                                         what Sigma cannot say
    [| sort 0 _time | streamstats time_window=<span> ... by <group>       correlations: a sliding window, never
     | eventstats max(...) | where ... `<detection>_threshold`]            fixed bins
    | eval <triage fields> | stats ... values(log_id) as log_ids by <group>
    | `<detection>_filter`

Inventory rules (``logsource: {product: auth0, service: inventory}``) have the same shape over the inventory's flat
events: their own triage fields (:data:`INVENTORY_TRIAGE_VALUES`) and ``values(object_id) as object_ids
values(snapshot_id) as snapshot_ids`` instead of ``log_ids`` (an inventory event has no log_id).
"""

import copy
import json
import re
from typing import Any, Dict, List, Tuple

from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from tools.detections.backends import Auth0SplunkBackend, placeholder_fields
from tools.detections.placeholders import resolve
from tools.detections.sources import LOGS

PRODUCT_MACRO = LOGS.macro
FRIENDLY = {
    "data.tenant_name": "tenant",
    "data.ip": "src",
    "data.user_id": "user_id",
    "data.user_name": "user",
    "data.client_id": "client_id",
    "data.client_name": "client_name",
    "data.hostname": "dest",
    "data.type": "signature_id",
    "data.details.response.body.client_id": "target_client_id",
    "data.details.request.auth.user.email": "admin",
    "data.details.familyId": "token_family",
    "data.details.authenticator.phone_number": "phone_number",
    "data.details.enrollment.identifier": "enrollment_id",
    "data.details.request.path": "request_path",
    "data.security_context.ja4": "ja4",
    "data.user_agent": "user_agent",
}
RISK_TYPES = {"src": "system", "dest": "system", "user": "user", "user_id": "user", "admin": "user"}
RISK_SCORES = {"informational": 10, "low": 25, "medium": 50, "high": 75, "critical": 100}
ALERT_SEVERITY = {"informational": 2, "low": 3, "medium": 4, "high": 5, "critical": 6}
#: Triage fields every alert carries: who, from where, which client, what changed, and the events.
TRIAGE_EVAL = (
    "| eval auth0_actor=coalesce('data.details.request.auth.user.email', nullif('data.user_name', \"\"), "
    "nullif('data.user_id', \"\")), auth0_src=coalesce(nullif('data.ip', \"\"), 'data.client_ip'), "
    "auth0_client=if(isnull(nullif('data.client_id', \"\")), null(), "
    "coalesce(nullif('data.client_name', \"\") . \" (\" . 'data.client_id' . \")\", 'data.client_id')), "
    "auth0_request=if(isnull('data.details.request.path'), null(), "
    "upper('data.details.request.method') . \" \" . 'data.details.request.path')"
)
TRIAGE_VALUES = [
    ("auth0_actor", "actors"),
    ("auth0_src", "src_ips"),
    ("auth0_client", "clients"),
    ("data.details.response.body.client_id", "target_client_ids"),
    ("data.description", "descriptions"),
    ("auth0_request", "requests"),
]
#: The triage fields of inventory alerts: which objects, what the inventory found on them, which snapshots.
INVENTORY_TRIAGE_VALUES = [
    ("object_type", "object_types"),
    ("object_name", "object_names"),
    ("risk_findings{}", "findings"),
    ("risk_severity", "risk_severities"),
]
#: The events of an alert: (field, name in the results).
EVENT_IDS = {
    "logs": [("log_id", "log_ids")],
    "inventory": [("object_id", "object_ids"), ("snapshot_id", "snapshot_ids")],
}


def friendly(field: str) -> str:
    if field in FRIENDLY:
        return FRIENDLY[field]
    return re.sub(r"[^A-Za-z0-9_]", "_", field.rsplit(".", maxsplit=1)[-1].replace("{}", "")).strip("_") or "value"


def fq(field: str) -> str:
    """A field name in stats/streamstats/dedup/fillnull/rename: double-quoted when it has more than word
    characters and dots (e.g. ``{}``)."""
    return field if re.fullmatch(r"[A-Za-z_][\w.]*", field) else '"' + field + '"'


def q(field: str) -> str:
    """A field name inside eval/where."""
    return "'" + field.replace("'", "\\'") + "'"


def split_query(query: str) -> Tuple[str, List[str]]:
    """pySigma's Splunk output: the search expression, then deferred ``| where`` lines."""
    head, *rest = query.split("\n| ")
    return head.strip(), ["| " + line.strip() for line in rest]


def base_search(head: str, deferred: List[str], macro: str = PRODUCT_MACRO) -> List[str]:
    return [f"{macro} {head}".rstrip(), *deferred]


def macro_ref(detection, name: str) -> str:
    return f"`{detection.key}_{name}`"


def spl_params(text: str, detection) -> str:
    for name in detection.params:
        text = text.replace("{" + name + "}", macro_ref(detection, name))
    return text


#: Results keep at most this many log ids (object ids, snapshot ids); drill down by the group and time range.
MAX_IDS = 100
#: Sliding windows advance in steps of window/WINDOW_STEPS (1 minute for 60 minutes).
WINDOW_STEPS = 60


def fields_in_text(text: str, source) -> List[str]:
    """Event fields a hand-written SPL step names (``'data.x'``, ``"data.x{}"`` or bare ``data.x``)."""
    prefix = r"data\." if source.name == "logs" else r"object\."
    found: List[str] = []
    for match in re.finditer(r"(?<![\w.{}])(" + prefix + r"[\w.{}\-]*[\w}])", text):
        if match.group(1) not in found:
            found.append(match.group(1))
    return found


def is_event_field(field: str, source) -> bool:
    return field.startswith("data.") if source.name == "logs" else not field.startswith(("auth0_", "lookup_"))


def condition_fields_of(document: Dict[str, Any]) -> List[str]:
    from tools.detections.backends import condition_fields

    (rule,) = list(SigmaCollection.from_dicts([copy.deepcopy(document)]))
    found: List[str] = []
    for condition in rule.detection.parsed_condition:
        condition_fields(condition.parsed, found)
    return found


def used_fields(detection) -> List[str]:
    """Every event field the detection's search reads: conditions, keys, group-by, outputs, risk and triage."""
    source = detection.source
    found: List[str] = []
    for document in detection.documents:
        if "detection" in document:
            found += condition_fields_of(document)
    found += list(detection.group_by)
    found += list((detection.meta.get("state") or {}).get("key") or [])
    if detection.is_correlation and detection.kind == "value_count":
        found.append(detection.rule.condition.fieldref)
    for value in (detection.meta.get("output") or {}).values():
        found += fields_in_text(str(value), source) or [str(value)]
    texts = [detection.post.get("spl", "")] + [spec["spl"] for spec in detection.derive.values()]
    if not detection.is_inventory:
        texts.append(TRIAGE_EVAL)
        found += [src for src, _ in TRIAGE_VALUES]
    for text in texts:
        found += fields_in_text(text, source)
    unique: List[str] = []
    for field in found:
        if is_event_field(field, source) and field not in unique:
            unique.append(field)
    return unique


def spath_lines(detection, fields: List[str]) -> List[str]:
    """``spath`` for every field outside the event's head: Splunk's automatic JSON extraction stops at
    ``[spath] extraction_cutoff`` (5,000 bytes), ``spath path=`` does not."""
    source = detection.source
    return [f'| spath output="{f}" path="{f}"' for f in fields if not source.is_head(f)]


def convert(detection, mode=None, condition=None, rule_index=-1, keep=None) -> Tuple[str, List[str]]:
    document = copy.deepcopy(detection.documents[rule_index])
    if condition is not None:
        document["detection"]["condition"] = condition
    (rule,) = list(SigmaCollection.from_dicts([document]))
    (query,) = Auth0SplunkBackend(ProcessingPipeline(), mode=mode, keep=keep).convert_rule(rule)
    head, deferred = split_query(query)
    return ("" if head == "*" else head), deferred


def selection_lines(detection, rule_index: int = -1, condition=None, extra_fields=()) -> List[str]:
    """The events one Sigma rule selects: the search on head fields, ``spath`` for the others, the full condition,
    then the placeholder steps and the condition that needs them."""
    source = detection.source
    head, head_deferred = convert(detection, "prefilter", condition, rule_index, keep=source.is_head)
    full, full_deferred = convert(detection, "prefilter", condition, rule_index)
    lines = base_search(head, head_deferred, source.macro)
    document = copy.deepcopy(detection.documents[rule_index])
    if condition is not None:
        document["detection"]["condition"] = condition
    fields = [f for f in condition_fields_of(document) if is_event_field(f, source)]
    fields += [f for f in extra_fields if f not in fields]
    lines += spath_lines(detection, fields)
    if (full, full_deferred) != (head, head_deferred):
        lines += ([f"| search {full}"] if full else []) + [d for d in full_deferred if d not in head_deferred]
    (rule,) = list(SigmaCollection.from_dicts([document]))
    found: Dict[str, List[str]] = {}
    for parsed in rule.detection.parsed_condition:
        placeholder_fields(parsed.parsed, found)
    if found:
        for name, names in found.items():
            lines += resolve(name).splunk_steps(names)
        post, post_deferred = convert(detection, "post", condition, rule_index)
        lines += [f"| search {post}", *post_deferred]
    return lines


def new_events_condition(detection) -> str:
    """True for the events indexed in this run's own interval (the run's latest time minus its cron interval up
    to its latest time): consecutive runs of a continuously scheduled search read disjoint index-time slices,
    so each event is new in exactly one run, however late it was indexed."""
    interval = detection.run_interval_minutes * 60
    return f"_indextime >= info_max_time - {interval} AND _indextime < info_max_time"


def _filter_groups(detection) -> List[str]:
    """Group-by fields: the tenant is filtered (every Auth0 log has it), the risk user kept unfilled, the others
    filled with "unknown" so stats does not drop the events that lack them."""
    groups = detection.group_by
    tenant = detection.source.default_group_by[0]
    lines = []
    if tenant in groups:
        lines.append(f"| where isnotnull({q(tenant)})")
    user = risk_user_field(detection)
    if user:
        lines.append(f"| eval auth0_risk_user={q(user)}")
    others = [g for g in groups if g != tenant]
    if others:
        lines.append(f'| fillnull value="unknown" {" ".join(fq(g) for g in others)}')
    return lines


def read_rest(detection, lines: List[str]) -> List[str]:
    """``spath`` for the used fields the lines do not read yet."""
    done = set(re.findall(r'\| spath output="([^"]+)"', "\n".join(lines)))
    return spath_lines(detection, [f for f in used_fields(detection) if f not in done])


def _event_lines(detection) -> List[str]:
    state = detection.meta.get("state")
    if not state:
        lines = selection_lines(detection)
        lines += read_rest(detection, lines)
        post = detection.post.get("spl")
        if post:
            lines += [line.strip() for line in spl_params(post, detection).strip().splitlines() if line.strip()]
        if detection.post.get("gate_new"):
            lines += ["| addinfo", f"| where {new_events_condition(detection)}"]
        return lines
    if detection.placeholders:
        raise ValueError(f"{detection.slug}: state rules take no placeholders")
    keys = state["key"]
    lines = selection_lines(detection, condition=state["scope"], extra_fields=keys)
    lines += read_rest(detection, lines)
    lines.append("| where " + " AND ".join(f"isnotnull({q(k)})" for k in keys))
    lines += ["| sort 0 - _time", f"| dedup {' '.join(fq(k) for k in keys)}"]
    full, full_deferred = convert(detection)
    lines += [f"| search {full}", *full_deferred]
    lines += ["| addinfo", f"| where {new_events_condition(detection)}"]
    return lines


def window_step(detection) -> int:
    step = detection.timespan // WINDOW_STEPS
    if step * WINDOW_STEPS != detection.timespan:
        raise ValueError(f"{detection.slug}: the timespan must be a multiple of {WINDOW_STEPS} seconds")
    return step


def _carried(detection) -> List[Tuple[str, str]]:
    """(field, name) of the triage and output values an alert lists, carried through the window aggregation."""
    triage = INVENTORY_TRIAGE_VALUES if detection.is_inventory else TRIAGE_VALUES
    carried = [(fq(src), name) for src, name in triage]
    for name, field in (detection.meta.get("output") or {}).items():
        carried.append((fq(output_field(field)), name))
    if risk_user_field(detection):
        carried.append(("auth0_risk_user", "risk_user"))
    return carried


def output_field(spec: str) -> str:
    """An ``output`` value is a field (its values are listed) or ``dc(<field>)`` (their number)."""
    match = re.fullmatch(r"dc\((.+)\)", str(spec).strip())
    return match.group(1) if match else str(spec)


def final_function(detection, name: str) -> str:
    spec = (detection.meta.get("output") or {}).get(name)
    return "dc" if spec is not None and output_field(spec) != str(spec) else "values"


def _correlation_lines(detection) -> List[str]:
    """A sliding window without raw-event streamstats (whose window holds at most max_stream_window = 10,000
    events of all groups): events are aggregated per step (a sixtieth of the window) and group, each step's row is
    added to the 60 windows that contain it (``mvrange``; ``stats`` splits a multivalue by-field), and a window
    alerts when it reaches the threshold and holds an event new in this run."""
    rule = detection.rule
    groups = detection.group_by
    kind = detection.kind
    source = detection.source
    plain = [g for g in groups if g not in detection.derive]
    if kind.startswith("temporal"):
        steps = [ref.rule.name for ref in rule.rules]
        parts = []
        for name in steps:
            position = next(i for i, doc in enumerate(detection.documents) if doc.get("name") == name)
            inner = " ".join(selection_lines(detection, position))
            parts.append(f'[search {inner} | eval auth0_step="{name}"]')
        lines = ["| multisearch " + " ".join(parts)]
        lines += spath_lines(detection, plain)
    else:
        lines = selection_lines(detection, 0, extra_fields=plain)
    lines.append(f"| dedup {source.dedup}")
    if plain:
        lines.append("| where " + " AND ".join(f"isnotnull({q(g)})" for g in plain))
    lines += read_rest(detection, lines)
    for name, spec in detection.derive.items():
        lines.append(f"| eval {name}={spec['spl']}")
    if len(plain) < len(groups):
        lines.append("| where " + " AND ".join(f"isnotnull({q(g)})" for g in groups if g in detection.derive))
    if risk_user_field(detection):
        lines.append(f"| eval auth0_risk_user={q(risk_user_field(detection))}")
    step = window_step(detection)
    span = detection.timespan
    if not detection.is_inventory:
        lines.append(TRIAGE_EVAL)
    lines.append("| addinfo")
    window = detection.window
    marks = [
        f"auth0_t_{name}=if(isnotnull({q(spec['field'])}), _time, null())"
        for name, spec in window["aggregates"].items()
        if spec["function"] in ("first", "last")
    ]
    lines.append(
        "| eval "
        + ", ".join(
            [
                f"auth0_step_start=floor(_time / {step}) * {step}",
                f"auth0_new=if({new_events_condition(detection)}, 1, 0)",
                *marks,
            ]
        )
    )
    by = " ".join(fq(g) for g in groups)
    carried = _carried(detection)
    ids = EVENT_IDS[source.name]
    first_stage = [
        "count as auth0_n",
        "min(_time) as auth0_first",
        "max(_time) as auth0_last",
        "max(auth0_new) as auth0_new",
    ]
    window_stage = [
        "sum(auth0_n) as auth0_window_events",
        "min(auth0_first) as auth0_first",
        "max(auth0_last) as auth0_last",
        "max(auth0_new) as auth0_new",
    ]
    key = ""
    if kind == "event_count":
        window_stage.insert(0, "sum(auth0_n) as auth0_window_count")
    elif kind in ("value_count", "temporal"):
        counted = fq(rule.condition.fieldref) if kind == "value_count" else "auth0_step"
        first_stage.append(f"values({counted}) as auth0_values")
        window_stage.insert(0, "dc(auth0_values) as auth0_window_count")
    else:  # temporal_ordered: the first step's earliest event before the second step's latest one, in one window
        key = " auth0_step"
        window_stage.insert(0, "min(auth0_first_step) as auth0_first_step max(auth0_second_step) as auth0_second_step")
    for name, spec in window["aggregates"].items():
        if spec["function"] == "distinct":
            first_stage.append(f"values({fq(spec['field'])}) as {name}")
            window_stage.append(f"dc({name}) as {name}")
        else:
            function = "min" if spec["function"] == "first" else "max"
            first_stage.append(f"{function}(auth0_t_{name}) as {name}")
            window_stage.append(f"{function}({name}) as {name}")
    first_stage += [f"values({field}) as {name}" for field, name in carried]
    first_stage += [f"values({src}) as {name}" for src, name in ids]
    window_stage += [f"values({name}) as {name}" for _, name in carried + ids]
    lines.append(f"| stats {' '.join(first_stage)} by auth0_step_start {by}{key}")
    lines.append("| eval " + ", ".join(f"{name}=mvindex({name}, 0, {MAX_IDS - 1})" for _, name in ids))
    if kind == "temporal_ordered":
        first, second = steps
        lines.append(
            f'| eval auth0_first_step=if(auth0_step="{first}", auth0_first, null()), '
            f'auth0_second_step=if(auth0_step="{second}", auth0_last, null())'
        )
    # Only groups with an event new in this run can alert, and only within one window of their new events: the
    # other rows are dropped before each row is multiplied by the 60 windows that contain it.
    group_by = f" by {by}" if groups else ""
    lines.append("| eval auth0_new_step=if(auth0_new=1, auth0_step_start, null())")
    lines.append(f"| eventstats min(auth0_new_step) as auth0_new_from max(auth0_new_step) as auth0_new_to{group_by}")
    lines.append(
        f"| where isnotnull(auth0_new_from) AND auth0_step_start > auth0_new_from - {span} "
        f"AND auth0_step_start < auth0_new_to + {span}"
    )
    lines.append(f"| eval auth0_window=mvrange(auth0_step_start - {span - step}, auth0_step_start + {step}, {step})")
    lines.append(f"| stats {' '.join(window_stage)} by auth0_window {by}")
    if kind == "temporal_ordered":
        lines.append("| eval auth0_window_count=if(auth0_first_step < auth0_second_step, 2, 1)")
    if kind.startswith("temporal"):
        condition = "auth0_window_count >= 2"
    else:
        if detection.threshold_op not in (">=", ">"):
            raise ValueError(f"{detection.slug}: thresholds are lower bounds (gte or gt)")
        condition = f"auth0_window_count {detection.threshold_op} {macro_ref(detection, 'threshold')}"
    if window.get("where"):
        condition += f" AND ({window['where']})"
    lines.append(f"| where {condition} AND auth0_new=1")
    escalate = window.get("escalate")
    if escalate:
        lines.append(f"| eval auth0_escalated=if({escalate['when']}, 1, 0)")
    return lines


def _tail(detection, windowed: bool) -> List[str]:
    """One result per group: counts, times, triage values, capped event ids, renamed group fields, risk fields."""
    groups = detection.group_by
    by = " ".join(fq(g) for g in groups)
    ids = EVENT_IDS[detection.source.name]
    carried = _carried(detection)
    lines: List[str] = []
    if windowed:
        values = [f"{final_function(detection, name)}({name}) as {name}" for _, name in carried]
        aggregates = [
            "max(auth0_window_events) as count",
            "min(auth0_first) as firstTime",
            "max(auth0_last) as lastTime",
            "max(auth0_window_count) as peak_window_count",
        ]
        for name, spec in detection.window["aggregates"].items():
            aggregates.append(f"{'min' if spec['function'] == 'first' else 'max'}({name}) as {name}")
        if detection.window.get("escalate"):
            aggregates.append("max(auth0_escalated) as auth0_escalated")
        values += [f"values({name}) as {name}" for _, name in ids]
    else:
        if not detection.is_inventory:
            lines.append(TRIAGE_EVAL)
        lines += _filter_groups(detection)
        values = [f"{final_function(detection, name)}({field}) as {name}" for field, name in carried]
        aggregates = ["count", "min(_time) as firstTime", "max(_time) as lastTime"]
        values += [f"values({src}) as {name}" for src, name in ids]
    lines.append(f"| stats {' '.join([*aggregates, *values])}" + (f" by {by}" if groups else ""))
    lines.append("| eval " + ", ".join(f"{name}=mvindex({name}, 0, {MAX_IDS - 1})" for _, name in ids))
    renames = [f"{fq(g)} AS {friendly(g)}" for g in groups if friendly(g) != g]
    if renames:
        lines.append("| rename " + ", ".join(renames))
    if risk_user_field(detection):
        tenant = friendly(detection.source.default_group_by[0])
        lines.append(f"| eval risk_tenant=if(isnull(risk_user), {tenant}, null())")
    times = ["firstTime", "lastTime"]
    if windowed:
        escalate = detection.window.get("escalate")
        if escalate:
            lines.append(f'| eval severity=if(auth0_escalated=1, "{escalate["level"]}", "{detection.level}")')
            lines.append("| fields - auth0_escalated")
        times += [n for n, spec in detection.window["aggregates"].items() if spec["function"] != "distinct"]
    lines.append('| convert timeformat="%Y-%m-%dT%H:%M:%S%z" ' + " ".join(f"ctime({t})" for t in times))
    lines.append(f"| `{detection.filter_macro}`")
    return lines


def search(detection) -> str:
    if detection.is_correlation:
        lines = _correlation_lines(detection) + _tail(detection, windowed=True)
    else:
        lines = _event_lines(detection) + _tail(detection, windowed=False)
    text = "\n".join(lines)
    if re.search(r"\|\s*(bin|bucket)\b", text):
        raise ValueError(f"{detection.slug}: fixed time bins are not allowed")
    return text


def macros(detection) -> List[Tuple[str, str, str]]:
    """(name, definition, description) of the detection's macros."""
    result = [
        (
            detection.filter_macro,
            "search *",
            f"Local tuning of '{detection.name}': add exclusions, e.g. search NOT tenant=\"dev-tenant\".",
        )
    ]
    if detection.threshold is not None:
        value = detection.threshold
        value = int(value) if float(value).is_integer() else value
        result.append(
            (
                f"{detection.key}_threshold",
                str(value),
                f"'{detection.name}': alert when the count in the sliding window is {detection.threshold_op} this.",
            )
        )
    for name, value in detection.params.items():
        result.append((f"{detection.key}_{name}", str(value), f"'{detection.name}': {name.replace('_', ' ')}."))
    return result


def notable_fields(detection) -> List[str]:
    return [friendly(g) for g in detection.group_by]


USER_RISK_NAMES = ("user", "user_id", "admin")


def risk_user_field(detection) -> str:
    """The group-by field naming the user at risk, or "" when the tenant is the risk object."""
    meta = detection.meta.get("risk") or {}
    field = meta.get("object") or ""
    if field and (meta.get("type") == "user" or friendly(field) in USER_RISK_NAMES):
        return field
    return ""


def risk(detection) -> List[Dict[str, Any]]:
    """Enterprise Security's risk entries. The risk object is the user when the rule names one and the alert has
    it, otherwise the tenant (``risk_user`` / ``risk_tenant``: exactly one of them is set, neither is ever filled
    with a placeholder value); source addresses are threat objects, never risk objects."""
    score = int((detection.meta.get("risk") or {}).get("score") or RISK_SCORES[detection.level])
    tenant = friendly(detection.source.default_group_by[0])
    if risk_user_field(detection):
        entries = [
            {"risk_object_field": "risk_user", "risk_object_type": "user", "risk_score": score},
            {"risk_object_field": "risk_tenant", "risk_object_type": "system", "risk_score": score},
        ]
    else:
        entries = [{"risk_object_field": tenant, "risk_object_type": "system", "risk_score": score}]
    if not detection.is_inventory:
        entries.append({"threat_object_field": "src_ips", "threat_object_type": "ip_address"})
    return entries


def drilldown(detection) -> str:
    """The events of one alert: the rule's search on head fields, then its group (by the group-by values the alert
    shows), over the alert's dispatch range."""
    source = detection.source
    index = 0 if detection.is_correlation and not detection.kind.startswith("temporal") else -1
    head = ""
    if not detection.kind.startswith("temporal"):
        condition = (detection.meta.get("state") or {}).get("scope")
        head, _ = convert(detection, "prefilter", condition, index, keep=source.is_head)
    lines = base_search(head, [], source.macro)
    groups = [g for g in detection.group_by if g not in detection.derive]
    lines += spath_lines(detection, groups)
    tenant = source.default_group_by[0]
    tests = []
    for group in groups:
        value = q(group) if group == tenant or detection.is_correlation else f'coalesce({q(group)}, "unknown")'
        tests.append(f'{value}="${friendly(group)}$"')
    if tests:
        lines.append("| where " + " AND ".join(tests))
    return " ".join(lines)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def description(detection) -> str:
    false_positives = "; ".join(one_line(fp) for fp in detection.rule.falsepositives)
    return one_line(
        f"{detection.rule.description} How to implement: {detection.text('how_to_implement')} "
        f"Known false positives: {false_positives} Tuning: {detection.text('tuning')}"
    )


def stanza(detection) -> List[Tuple[str, str]]:
    schedule = detection.schedule()
    fields = notable_fields(detection)
    title_token = " ".join(f"${f}$" for f in fields[:2])
    annotations = {"mitre_attack": detection.mitre, "analytic_story": ["Auth0 Tenant Attacks"]}
    drilldown_name = (
        "The inventory events of this alert" if detection.is_inventory else "The Auth0 events of this alert"
    )
    index_window = []
    if schedule.get("index_earliest"):
        index_window = [
            ("dispatch.index_earliest", schedule["index_earliest"]),
            ("dispatch.index_latest", schedule["index_latest"]),
        ]
    return [
        ("disabled", "1"),
        ("description", description(detection)),
        ("search", search(detection)),
        ("enableSched", "1"),
        ("realtime_schedule", "0"),
        ("cron_schedule", schedule["cron"]),
        ("dispatch.earliest_time", schedule["earliest"]),
        ("dispatch.latest_time", schedule["latest"]),
        *index_window,
        ("schedule_window", "auto"),
        ("allow_skew", "10%"),
        ("request.ui_dispatch_app", "search"),
        ("counttype", "number of events"),
        ("relation", "greater than"),
        ("quantity", "0"),
        ("alert.track", "0"),
        ("alert.severity", str(ALERT_SEVERITY[detection.level])),
        ("alert.digest_mode", "0"),
        ("alert.suppress", "1"),
        ("alert.suppress.period", detection.throttle),
        ("alert.suppress.fields", ",".join(fields) if fields else "count"),
        ("action.correlationsearch.enabled", "1"),
        ("action.correlationsearch.label", detection.name),
        ("action.correlationsearch.annotations", json.dumps(annotations)),
        ("action.notable", "1"),
        ("action.notable.param.rule_title", f"Auth0: {detection.rule.title} ({title_token})"),
        ("action.notable.param.rule_description", one_line(detection.rule.description)),
        ("action.notable.param.security_domain", detection.meta.get("security_domain") or "access"),
        ("action.notable.param.severity", detection.level),
        ("action.notable.param.nes_fields", ",".join(fields)),
        ("action.notable.param.drilldown_name", drilldown_name),
        ("action.notable.param.drilldown_search", drilldown(detection)),
        ("action.notable.param.drilldown_earliest_offset", "$info_min_time$"),
        ("action.notable.param.drilldown_latest_offset", "$info_max_time$"),
        ("action.risk", "1"),
        ("action.risk.param._risk", json.dumps(risk(detection))),
        ("action.risk.param._risk_message", f"{detection.rule.title} ({title_token})"),
        ("action.risk.param._risk_score", "0"),
        ("action.risk.param.verbose", "0"),
    ]
