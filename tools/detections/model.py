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
    def params(self) -> Dict[str, Any]:
        return dict(self.post.get("params") or {})

    def schedule(self) -> Dict[str, str]:
        """Cron and dispatch window. Every window of a correlation ends inside exactly one run's last
        ``interval`` minutes, and each run looks back the timespan before that, so a burst anywhere in time
        (across a clock hour too) is seen whole by one run; 5 minutes of slack cover indexing delay.

        Inventory rules run hourly up to now (a snapshot's events carry its start time and are indexed when the run
        ends) and look back one inventory interval (6 hours) more than a log rule would: every snapshot is seen
        by several runs, and the throttle (at least as long as the lookback) keeps it to one alert."""
        own = self.meta.get("schedule") or {}
        if self.is_inventory:
            interval = 60
            lookback = (self.timespan // 60 if self.is_correlation else 360) + interval + 5
        elif self.is_correlation:
            interval = 15 if self.timespan <= 2 * 3600 else 60
            lookback = self.timespan // 60 + interval + 5
        else:
            interval, lookback = 10, 15
        cron = f"*/{interval} * * * *" if interval < 60 else f"{zlib.crc32(self.slug.encode()) % 50 + 5} * * * *"
        latest = "now" if self.is_inventory else "-5m@m"
        default = {"cron": cron, "earliest": f"-{lookback}m@m", "latest": latest}
        default.update({k: str(v) for k, v in own.items()})
        return default

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
