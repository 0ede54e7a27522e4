"""Detections as written in ``detections/<name>/rule.yml`` (Sigma) and ``tests.yml``.

``rule.yml`` holds one Sigma document, or several: the documents a correlation refers to (by ``name``), then the
correlation. The **last document is the detection**: its id, title, description, tags, level and falsepositives,
and these TA-auth0 keys (all optional unless noted):

``how_to_implement`` (required), ``tuning`` (required)
    text for docs/detections.md and the saved search's description.
``alert``
    ``group_by``: fields of one alert (event rules; a correlation uses its ``group-by``; default
    ``data.tenant_name``, for inventory rules ``tenant`` and ``object_id``), ``throttle``: the suppression period
    (default: a correlation's timespan, else ``60m``, for inventory rules ``1d``).
``schedule``
    ``cron``, ``earliest``, ``latest``: overrides of the defaults of :func:`Detection.schedule`.
``risk``
    ``object`` (a group-by field, default the first), ``type`` (``system``/``user``/``other``), ``score``.
``security_domain``
    Enterprise Security's domain of the notable (default ``access``).
``output``
    extra triage fields, ``name: field``.
``state``
    ``key``: fields; ``scope``: a condition over the rule's detections. The alert condition is judged on the
    latest event of each key among the events ``scope`` selects (a "current configuration" rule).
``post``
    a step Sigma cannot say: ``spl`` (lines after the Sigma condition), ``sql`` (a query over ``{core}``, the
    rows the Sigma condition selected, or a condition ``where`` on them) and ``params`` (tuning values:
    ``{name}`` in both texts; a macro ``<detection>_<name>`` in Splunk, the default value in SQLite).

``logsource`` is ``{product: auth0}`` (Log Streams events) or ``{product: auth0, service: inventory}`` (the
configuration inventory's events), the same in every document of the rule: see :mod:`tools.detections.sources`.
"""

import glob
import os
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from tools.detections import sources
from tools.detections.backends import placeholder_fields

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DETECTIONS = os.path.join(ROOT, "detections")
LEVELS = ("informational", "low", "medium", "high", "critical")
#: Late arrival the schedules tolerate: an event indexed up to this long after its _time is still alerted on
#: (each run reads the events indexed in its own interval, over a _time range this much wider).
LATE_ARRIVAL_MINUTES = 240
#: A run reads what was indexed up to this many minutes before its scheduled time (searchable by then).
INDEX_SLACK_MINUTES = 5
CORRELATION_KINDS = ("event_count", "value_count", "temporal", "temporal_ordered")


class DetectionError(ValueError):
    pass


def parse_span(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smhd])", str(text).strip())
    if not match:
        raise DetectionError(f"not a time span: {text!r} (e.g. 30m, 1h, 7d)")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def span_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass
class Detection:
    slug: str
    path: str
    documents: List[Dict[str, Any]]
    collection: SigmaCollection
    rule: Any  # SigmaRule or SigmaCorrelationRule: the last document
    meta: Dict[str, Any] = field(default_factory=dict)

    # -- identity ---------------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return "auth0_" + self.slug

    @property
    def name(self) -> str:
        return f"Auth0 - {self.rule.title} - Rule"

    @property
    def filter_macro(self) -> str:
        return self.key + "_filter"

    @property
    def level(self) -> str:
        return self.rule.level.name.lower() if self.rule.level else "medium"

    @property
    def mitre(self) -> List[str]:
        ids = []
        for tag in self.rule.tags:
            if tag.namespace == "attack" and re.fullmatch(r"t\d{4}(\.\d{3})?", tag.name):
                ids.append(tag.name.upper())
        return ids

    @property
    def source(self) -> sources.Source:
        """Log Streams events or inventory events: the logsource of the rule's documents (all the same)."""
        found = {sources.for_logsource(doc["logsource"]) for doc in self.documents if "logsource" in doc}
        if len(found) != 1:
            raise DetectionError(f"{self.path}: every document needs the same auth0 logsource")
        return found.pop()

    @property
    def is_inventory(self) -> bool:
        return self.source is sources.INVENTORY

    @property
    def is_correlation(self) -> bool:
        return isinstance(self.rule, SigmaCorrelationRule)

    @property
    def kind(self) -> str:
        if self.is_correlation:
            return self.rule.type.name.lower()
        return "state" if self.meta.get("state") else "event"

    @property
    def base_rules(self) -> List[SigmaRule]:
        return [rule for rule in self.collection if isinstance(rule, SigmaRule)]

    @property
    def timespan(self) -> Optional[int]:
        return self.rule.timespan.seconds if self.is_correlation else None

    @property
    def threshold(self) -> Optional[Any]:
        if not self.is_correlation or self.kind.startswith("temporal"):
            return None
        return self.rule.condition.count

    @property
    def threshold_op(self) -> Optional[str]:
        if self.threshold is None:
            return None
        return {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<", "eq": "="}[self.rule.condition.op.name.lower()]

    @property
    def group_by(self) -> List[str]:
        if self.is_correlation:
            return list(self.rule.group_by or [])
        return list((self.meta.get("alert") or {}).get("group_by") or self.source.default_group_by)

    @property
    def throttle(self) -> str:
        alert = self.meta.get("alert") or {}
        if alert.get("throttle"):
            return str(alert["throttle"])
        return span_text(self.timespan) if self.is_correlation else self.source.default_throttle

    @property
    def placeholders(self) -> Dict[str, List[str]]:
        found: Dict[str, List[str]] = {}
        for rule in self.base_rules:
            for condition in rule.detection.parsed_condition:
                placeholder_fields(condition.parsed, found)
        return found

    @property
    def post(self) -> Dict[str, Any]:
        return self.meta.get("post") or {}

    @property
    def derive(self) -> Dict[str, Dict[str, str]]:
        return dict(self.meta.get("derive") or {})

    def fresh_collection(self) -> SigmaCollection:
        """A newly parsed copy: converting a rule applies a pipeline to it in place."""
        collection = SigmaCollection.from_dicts([dict(doc) for doc in self.documents])
        collection.resolve_rule_references()
        return collection

    @property
    def window(self) -> Dict[str, Any]:
        """A correlation's extra window terms (``window:``): ``aggregates`` (``name: {distinct|first|last:
        field}``: distinct values of the field, or the time of the first/last event that has it, per window),
        ``where`` (a condition on them and ``auth0_window_count``, valid in both SPL eval and SQLite) and
        ``escalate`` (``level``, ``when``: the alert's severity when a window satisfies ``when``)."""
        raw = dict(self.meta.get("window") or {})
        aggregates = {}
        for name, spec in (raw.get("aggregates") or {}).items():
            ((function, field),) = dict(spec).items()
            aggregates[str(name)] = {"function": str(function), "field": str(field)}
        result: Dict[str, Any] = {"aggregates": aggregates}
        if raw.get("where"):
            result["where"] = " ".join(str(raw["where"]).split())
        if raw.get("escalate"):
            escalate = dict(raw["escalate"])
            result["escalate"] = {"level": str(escalate["level"]), "when": " ".join(str(escalate["when"]).split())}
        return result

    @property
    def params(self) -> Dict[str, Any]:
        return dict(self.post.get("params") or {})

    def schedule(self) -> Dict[str, str]:
        """Cron, dispatch window and (event rules) index-time window; every search is continuously scheduled
        (``realtime_schedule = 0``), so no interval is ever skipped and consecutive runs read consecutive
        index-time slices of ``interval`` minutes ending ``INDEX_SLACK_MINUTES`` before the scheduled time.

        * Event rules read the events indexed in their slice (``dispatch.index_earliest/index_latest``) over a
          _time range ``LATE_ARRIVAL_MINUTES`` wider: each event is searched by exactly one run, even when it was
          indexed hours after it happened.
        * Correlations and state rules need older events as context: they read ``timespan + interval +
          LATE_ARRIVAL_MINUTES`` of _time and report only windows (latest states) holding an event of their own
          slice (``_indextime`` within the run's last ``interval``), so a burst alerts in the run that completes it.
        * Inventory rules run hourly up to ``now`` (a snapshot's events carry its start time and are indexed when
          the run ends) and look back one inventory interval (6 hours) more; their throttle is longer than that."""
        own = self.meta.get("schedule") or {}
        index_window: Dict[str, str] = {}
        slack = INDEX_SLACK_MINUTES
        if self.is_inventory:
            interval = 60
            lookback = (self.timespan // 60 if self.is_correlation else 360) + interval + 5
            latest = "now"
        elif self.is_correlation:
            interval = 15 if self.timespan <= 2 * 3600 else 60
            lookback = self.timespan // 60 + interval + LATE_ARRIVAL_MINUTES + slack
            latest = f"-{slack}m@m"
        else:
            interval = 10
            lookback = interval + LATE_ARRIVAL_MINUTES + slack
            latest = f"-{slack}m@m"
            if not self.meta.get("state") and not own and not self.post.get("gate_new"):
                index_window = {"index_earliest": f"-{interval + slack}m@m", "index_latest": f"-{slack}m@m"}
        cron = f"*/{interval} * * * *" if interval < 60 else f"{zlib.crc32(self.slug.encode()) % 50 + 5} * * * *"
        default = {"cron": cron, "earliest": f"-{lookback}m@m", "latest": latest, **index_window}
        default.update({k: str(v) for k, v in own.items()})
        return default

    @property
    def run_interval_minutes(self) -> int:
        """Minutes between two runs of the cron schedule (``*/N * * * *`` or hourly ``M * * * *``)."""
        cron = self.schedule()["cron"].split()
        match = re.fullmatch(r"\*/(\d+)", cron[0])
        if match and cron[1:] == ["*", "*", "*", "*"]:
            return int(match.group(1))
        if re.fullmatch(r"\d+", cron[0]) and cron[1:] == ["*", "*", "*", "*"]:
            return 60
        raise DetectionError(f"{self.path}: cron {' '.join(cron)!r} is neither */N * * * * nor M * * * *")

    def text(self, key: str) -> str:
        return " ".join(str(self.meta.get(key) or "").split())


def _documents(path: str) -> List[Dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def _check(detection: Detection) -> None:
    rule = detection.rule
    where = detection.path
    for key in ("how_to_implement", "tuning"):
        if not detection.meta.get(key):
            raise DetectionError(f"{where}: missing {key}")
    if not rule.description or not rule.falsepositives:
        raise DetectionError(f"{where}: description and falsepositives are required")
    if detection.level not in LEVELS or rule.level is None:
        raise DetectionError(f"{where}: level must be one of {LEVELS}")
    try:
        detection.source  # noqa: B018 (raises on a mixed or unknown logsource)
    except ValueError as error:
        raise DetectionError(f"{where}: {error}") from error
    if not detection.mitre:
        raise DetectionError(f"{where}: no MITRE ATT&CK technique tag (attack.tNNNN)")
    if detection.is_correlation and detection.kind not in CORRELATION_KINDS:
        raise DetectionError(f"{where}: correlation type {detection.kind} is not supported")
    if detection.kind.startswith("temporal") and len(detection.base_rules) != 2:
        raise DetectionError(f"{where}: temporal correlations take exactly two rules")
    categories = {name for name in detection.placeholders if name.startswith("auth0_watchlist_")}
    if len(categories) > 1:
        raise DetectionError(f"{where}: one watchlist category per detection")
    if detection.is_correlation and categories:
        raise DetectionError(f"{where}: the watchlist is for event rules")
    if detection.meta.get("window"):
        if detection.kind not in ("event_count", "value_count"):
            raise DetectionError(f"{where}: window terms are for event_count and value_count correlations")
        for name, spec in detection.window["aggregates"].items():
            if spec["function"] not in ("distinct", "first", "last") or not re.fullmatch(r"[a-z_]+", name):
                raise DetectionError(f"{where}: window aggregate {name}: {{distinct|first|last: <field>}}")
        escalate = detection.window.get("escalate")
        if escalate and escalate["level"] not in LEVELS:
            raise DetectionError(f"{where}: escalate.level must be one of {LEVELS}")
    risk = detection.meta.get("risk") or {}
    if risk.get("object") and risk["object"] not in detection.group_by:
        raise DetectionError(f"{where}: the risk object must be one of the alert's group-by fields")
    unknown = set(detection.meta) - {
        "how_to_implement",
        "tuning",
        "alert",
        "schedule",
        "risk",
        "security_domain",
        "output",
        "state",
        "post",
        "derive",
        "generate",
        "window",
    }
    if unknown:
        raise DetectionError(f"{where}: unknown keys {sorted(unknown)}")


def load(path: str) -> Detection:
    slug = os.path.basename(os.path.dirname(path))
    if not re.fullmatch(r"[a-z0-9_]+", slug):
        raise DetectionError(f"{path}: folder names are lower_snake_case")
    documents = _documents(path)
    collection = SigmaCollection.from_dicts([dict(doc) for doc in documents])
    collection.resolve_rule_references()
    rules = list(collection)
    if not rules:
        raise DetectionError(f"{path}: no Sigma document")
    main = rules[-1]
    meta = dict(main.custom_attributes)
    for key in ("name", "correlation", "detection", "logsource"):
        meta.pop(key, None)
    detection = Detection(slug, path, documents, collection, main, meta)
    _check(detection)
    return detection


def load_all(root: str = DETECTIONS) -> List[Detection]:
    detections = [load(path) for path in sorted(glob.glob(os.path.join(root, "*", "rule.yml")))]
    seen: Dict[str, str] = {}
    for detection in detections:
        for value in (str(detection.rule.id), detection.name):
            if value in seen:
                raise DetectionError(f"{detection.path}: {value} is also used by {seen[value]}")
            seen[value] = detection.path
    return detections
