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


def convert(detection, mode=None, condition=None, rule_index=-1) -> Tuple[str, List[str]]:
    document = copy.deepcopy(detection.documents[rule_index])
    if condition is not None:
        document["detection"]["condition"] = condition
    (rule,) = list(SigmaCollection.from_dicts([document]))
    (query,) = Auth0SplunkBackend(ProcessingPipeline(), mode=mode).convert_rule(rule)
    head, deferred = split_query(query)
    return ("" if head == "*" else head), deferred


def base_search(head: str, deferred: List[str], macro: str = PRODUCT_MACRO) -> List[str]:
    return [f"{macro} {head}".rstrip(), *deferred]


def macro_ref(detection, name: str) -> str:
    return f"`{detection.key}_{name}`"


def spl_params(text: str, detection) -> str:
    for name in detection.params:
        text = text.replace("{" + name + "}", macro_ref(detection, name))
    return text


def rule_lines(detection, rule_index: int = -1) -> List[str]:
    """The search for one Sigma rule of the detection: its condition, with placeholder steps when it has any."""
    head, deferred = convert(detection, mode="prefilter", rule_index=rule_index)
    lines = base_search(head, deferred, detection.source.macro)
    document = detection.documents[rule_index]
    (rule,) = list(SigmaCollection.from_dicts([copy.deepcopy(document)]))
    found: Dict[str, List[str]] = {}
    for condition in rule.detection.parsed_condition:
        placeholder_fields(condition.parsed, found)
    if found:
        for name, fields in found.items():
            lines += resolve(name).splunk_steps(fields)
        post, post_deferred = convert(detection, mode="post", rule_index=rule_index)
        lines += [f"| search {post}", *post_deferred]
    return lines


def _event_lines(detection) -> List[str]:
    state = detection.meta.get("state")
    if not state:
        return rule_lines(detection)
    if detection.placeholders:
        raise ValueError(f"{detection.slug}: state rules take no placeholders")
    head, deferred = convert(detection, condition=state["scope"])
    lines = base_search(head, deferred, detection.source.macro)
    keys = " ".join(fq(k) for k in state["key"])
    lines += ["| sort 0 - _time", f'| fillnull value="-" {keys}', f"| dedup {keys}"]
    full, full_deferred = convert(detection)
    lines += [f"| search {full}", *full_deferred]
    return lines


def _correlation_lines(detection) -> List[str]:
    rule = detection.rule
    span = f"{detection.timespan // 60}m" if detection.timespan % 60 == 0 else f"{detection.timespan}s"
    groups = detection.group_by
    by = " ".join(fq(g) for g in groups)
    by_clause = f" by {by}" if groups else ""
    kind = detection.kind
    if kind.startswith("temporal"):
        steps = [ref.rule.name for ref in rule.rules]
        parts = []
        for name in steps:
            position = next(i for i, doc in enumerate(detection.documents) if doc.get("name") == name)
            inner = " ".join(rule_lines(detection, position))
            parts.append(f'[search {inner} | eval auth0_step="{name}"]')
        lines = ["| multisearch " + " ".join(parts)]
    else:
        lines = rule_lines(detection, 0)
    lines.append(f"| dedup {detection.source.dedup}")
    for name, spec in detection.derive.items():
        lines.append(f"| eval {name}={spec['spl']}")
    if groups:
        lines.append("| where " + " AND ".join(f"isnotnull({q(g)})" for g in groups))
    lines.append("| sort 0 _time")
    if kind == "event_count":
        lines.append(f"| streamstats time_window={span} count as auth0_window_count{by_clause}")
    elif kind == "value_count":
        field = rule.condition.fieldref
        lines.append(f"| streamstats time_window={span} dc({fq(field)}) as auth0_window_count{by_clause}")
    elif kind == "temporal":
        lines.append(f"| streamstats time_window={span} dc(auth0_step) as auth0_window_count{by_clause}")
    else:  # temporal_ordered: the second step with the first one earlier in the same window
        first, second = steps
        lines.append(
            f'| streamstats time_window={span} count(eval(auth0_step="{first}")) as auth0_prior_first{by_clause}'
        )
        lines.append(f'| eval auth0_window_count=if(auth0_step="{second}" AND auth0_prior_first > 0, 2, 1)')
    lines.append(f"| eventstats max(auth0_window_count) as auth0_peak_window_count{by_clause}")
    if kind.startswith("temporal"):
        lines.append("| where auth0_peak_window_count >= 2")
    else:
        if detection.threshold_op not in (">=", ">"):
            raise ValueError(f"{detection.slug}: thresholds are lower bounds (gte or gt)")
        lines.append(f"| where auth0_peak_window_count {detection.threshold_op} {macro_ref(detection, 'threshold')}")
    return lines


def search(detection) -> str:
    if detection.is_correlation:
        lines = _correlation_lines(detection)
    else:
        lines = _event_lines(detection)
        post = detection.post.get("spl")
        if post:
            lines += [line.strip() for line in spl_params(post, detection).strip().splitlines() if line.strip()]
    groups = detection.group_by
    by = " ".join(fq(g) for g in groups)
    if not detection.is_inventory:
        lines.append(TRIAGE_EVAL)
    if groups and not detection.is_correlation:
        lines.append(f'| fillnull value="unknown" {by}')
    triage = INVENTORY_TRIAGE_VALUES if detection.is_inventory else TRIAGE_VALUES
    values = [f"values({fq(src)}) as {name}" for src, name in triage]
    for name, field in (detection.meta.get("output") or {}).items():
        values.append(f"values({fq(field)}) as {name}")
    aggregates = ["count", "min(_time) as firstTime", "max(_time) as lastTime"]
    if detection.is_correlation:
        aggregates.append("max(auth0_window_count) as peak_window_count")
    values += [f"values({src}) as {name}" for src, name in EVENT_IDS[detection.source.name]]
    stats = " ".join([*aggregates, *values])
    lines.append(f"| stats {stats}" + (f" by {by}" if groups else ""))
    renames = [f"{fq(g)} AS {friendly(g)}" for g in groups if friendly(g) != g]
    if renames:
        lines.append("| rename " + ", ".join(renames))
    lines.append('| convert timeformat="%Y-%m-%dT%H:%M:%S%z" ctime(firstTime) ctime(lastTime)')
    lines.append(f"| `{detection.filter_macro}`")
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


def risk(detection) -> Dict[str, Any]:
    meta = detection.meta.get("risk") or {}
    field = meta.get("object") or (
        detection.group_by[0] if detection.group_by else detection.source.default_group_by[0]
    )
    name = friendly(field)
    return {
        "risk_object_field": name,
        "risk_object_type": meta.get("type") or RISK_TYPES.get(name, "other"),
        "risk_score": int(meta.get("score") or RISK_SCORES[detection.level]),
    }


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
    source = detection.source
    drilldown_name = (
        "The inventory events of this alert" if detection.is_inventory else "The Auth0 events of this alert"
    )
    return [
        ("disabled", "1"),
        ("description", description(detection)),
        ("search", search(detection)),
        ("enableSched", "1"),
        ("cron_schedule", schedule["cron"]),
        ("dispatch.earliest_time", schedule["earliest"]),
        ("dispatch.latest_time", schedule["latest"]),
        ("schedule_window", "auto"),
        ("allow_skew", "10%"),
        ("request.ui_dispatch_app", "search"),
        ("counttype", "number of events"),
        ("relation", "greater than"),
        ("quantity", "0"),
        ("alert.track", "1"),
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
        ("action.notable.param.drilldown_search", f"{source.macro} {source.drilldown}"),
        ("action.notable.param.drilldown_earliest_offset", "$info_min_time$"),
        ("action.notable.param.drilldown_latest_offset", "$info_max_time$"),
        ("action.risk", "1"),
        ("action.risk.param._risk", json.dumps([risk(detection)])),
        ("action.risk.param._risk_message", f"{detection.rule.title} ({title_token})"),
        ("action.risk.param._risk_score", "0"),
        ("action.risk.param.verbose", "0"),
    ]
