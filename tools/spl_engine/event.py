"""An indexed event as Splunk holds it: raw text, ``_time``, ``_indextime`` and the default fields."""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Tuple

LOGS_SOURCETYPE = "auth0:logs"
INVENTORY_SOURCETYPE = "auth0:inventory"


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


@dataclass(eq=False)
class Event:
    raw: str
    time: float
    indextime: float
    sourcetype: str = LOGS_SOURCETYPE
    source: str = "auth0"
    host: str = "auth0"
    index: str = "auth0"
    #: search-time fields computed for this event, per knowledge model (events are reused across runs)
    cache: Dict[Tuple[int, int], Dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any], indextime: float, sourcetype: str = LOGS_SOURCETYPE) -> "Event":
        """A Log Streams envelope ``{"log_id", "data"}``, timestamped by ``data.date`` (props.conf TIME_PREFIX)."""
        data = envelope.get("data") or {}
        tenant = data.get("tenant_name") or "auth0"
        return cls(
            raw=json.dumps(envelope, ensure_ascii=False),
            time=_epoch(data["date"]),
            indextime=float(indextime),
            sourcetype=sourcetype,
            source=f"auth0://{tenant}",
            host=str(tenant),
        )

    @classmethod
    def from_inventory(cls, document: Mapping[str, Any], indextime: float) -> "Event":
        """An ``auth0:inventory`` event, timestamped by ``collected_at``."""
        return cls(
            raw=json.dumps(document, ensure_ascii=False),
            time=_epoch(document["collected_at"]),
            indextime=float(indextime),
            sourcetype=INVENTORY_SOURCETYPE,
            source=f"auth0_inventory://{document.get('tenant', 'auth0')}",
            host=str(document.get("tenant", "auth0")),
        )
