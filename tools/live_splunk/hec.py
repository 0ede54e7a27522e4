"""HTTP Event Collector payloads from the detections' test events.

A log event is sent as an Auth0 Log Stream sends it: the envelope ``{"log_id", "data"}`` as the event, sourcetype
``auth0`` (Auth0's suggested HEC sourcetype, renamed to ``auth0:logs`` at search time) and ``time`` from
``data.date``. An inventory event (posture detections) is sent with sourcetype ``auth0:inventory`` and ``time``
from ``collected_at``. Every payload names the index and the ``source`` that isolates one test case.
"""

import json
from typing import Any, Dict, Iterable, Iterator, List

from tools.detections.events import parse_date

HOST = "ta-auth0-live"
LOG_SOURCETYPE = "auth0"
INVENTORY_SOURCETYPE = "auth0:inventory"
#: HEC's default limit (limits.conf [http_input] max_content_length) is far larger; small batches keep errors local.
MAX_BATCH_BYTES = 512 * 1024


def envelope_time(envelope: Dict[str, Any]) -> float:
    return parse_date(envelope["data"]["date"])


def inventory_time(event: Dict[str, Any]) -> float:
    return parse_date(event["collected_at"])


def payload(event: Dict[str, Any], when: float, source: str, sourcetype: str, index: str) -> Dict[str, Any]:
    return {
        "time": round(when, 3),
        "host": HOST,
        "source": source,
        "sourcetype": sourcetype,
        "index": index,
        "event": event,
    }


def log_payloads(envelopes: Iterable[Dict[str, Any]], source: str, index: str) -> List[Dict[str, Any]]:
    return [payload(e, envelope_time(e), source, LOG_SOURCETYPE, index) for e in envelopes]


def inventory_payloads(events: Iterable[Dict[str, Any]], source: str, index: str) -> List[Dict[str, Any]]:
    return [payload(e, inventory_time(e), source, INVENTORY_SOURCETYPE, index) for e in events]


def batches(payloads: Iterable[Dict[str, Any]], max_bytes: int = MAX_BATCH_BYTES) -> Iterator[bytes]:
    """HEC batch bodies (payloads one after another, as ``/services/collector/event`` takes them), each at most
    ``max_bytes`` unless a single payload is larger."""
    batch: List[bytes] = []
    size = 0
    for item in payloads:
        encoded = json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if batch and size + len(encoded) + 1 > max_bytes:
            yield b"\n".join(batch)
            batch, size = [], 0
        batch.append(encoded)
        size += len(encoded) + 1
    if batch:
        yield b"\n".join(batch)
