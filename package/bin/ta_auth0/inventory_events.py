"""Inventory snapshots as Splunk events (sourcetype ``auth0:inventory``): one event per object plus a summary.

Every event is one JSON object whose first key is ``collected_at`` (the snapshot's start, also the event time, so
all events of a snapshot share one ``_time``)::

    {"collected_at": "2026-11-26T04:00:00.000Z", "snapshot_id": "<uuid>", "tenant": "acme.us.auth0.com",
     "object_type": "client", "object_id": "<client_id>", "object_name": "API Explorer Application",
     "risk_findings": ["api_explorer", "privileged_m2m"], "risk_severity": "critical",
     "risk_details": [{"id": "api_explorer", "severity": "critical", "title": ..., "detail": ..., ...}],
     "watchlist_category": "api_explorer", ...derived facts..., "object": {<the sanitized Auth0 object>}}

The summary event has ``object_type=snapshot``, ``object_id=<snapshot_id>``, counts per type, the skipped types
with their reasons, the findings per id, ``complete`` and ``duration_seconds``.
"""

import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional
from xml.sax.saxutils import escape

from .findings import Assessment, max_severity, object_key
from .inventory_collector import NAME_FIELDS, Snapshot

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode


def iso_time(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def _object_name(object_type: str, document: Dict[str, Any], facts: Dict[str, Any]) -> Any:
    if object_type == "client_grant":
        return f"{facts.get('client_name') or document.get('client_id')} -> {document.get('audience')}"
    return document.get(NAME_FIELDS.get(object_type, "name"))


def object_events(snapshot: Snapshot, assessment: Assessment) -> List[Dict[str, Any]]:
    collected_at = iso_time(snapshot.started_at)
    events = []
    for object_type, documents in snapshot.objects.items():
        for document in documents:
            object_id = object_key(object_type, document, snapshot.tenant)
            key = (object_type, object_id)
            findings = assessment.findings.get(key, [])
            event: Dict[str, Any] = {
                "collected_at": collected_at,
                "snapshot_id": snapshot.snapshot_id,
                "tenant": snapshot.tenant,
                "object_type": object_type,
                "object_id": object_id,
                "object_name": _object_name(object_type, document, assessment.facts.get(key, {})) or object_id,
                "risk_findings": sorted({f["id"] for f in findings}),
                "risk_severity": max_severity(findings) or "none",
                "risk_details": findings,
            }
            for name, value in assessment.facts.get(key, {}).items():
                if value is not None and name not in event:
                    event[name] = value
            event["object"] = document
            events.append(event)
    return events


def summary_event(snapshot: Snapshot, assessment: Assessment, requests: Optional[int] = None) -> Dict[str, Any]:
    by_id: Dict[str, int] = {}
    by_severity: Dict[str, int] = {}
    for _key, item in assessment.all_findings():
        by_id[item["id"]] = by_id.get(item["id"], 0) + 1
        by_severity[item["severity"]] = by_severity.get(item["severity"], 0) + 1
    event: Dict[str, Any] = {
        "collected_at": iso_time(snapshot.started_at),
        "snapshot_id": snapshot.snapshot_id,
        "tenant": snapshot.tenant,
        "object_type": "snapshot",
        "object_id": snapshot.snapshot_id,
        "object_name": f"Inventory snapshot of {snapshot.tenant}",
        "complete": snapshot.complete,
        "counts": snapshot.counts(),
        "objects_total": sum(snapshot.counts().values()),
        "skipped_types": sorted(snapshot.skipped),
        "skipped_reasons": dict(sorted(snapshot.skipped.items())),
        "findings_by_id": dict(sorted(by_id.items())),
        "findings_by_severity": by_severity,
        "findings_total": sum(by_id.values()),
        "duration_seconds": round(snapshot.finished_at - snapshot.started_at, 3),
        "secret_fields_dropped": sorted(set(snapshot.secret_fields_dropped)),
        "warnings": snapshot.warnings,
    }
    if snapshot.stopped_because:
        event["stopped_because"] = snapshot.stopped_because
    if requests is not None:
        event["requests"] = requests
    return event


class InventoryEventSink:
    """Writes inventory events to a splunklib ``EventWriter``'s stream in one write and one flush."""

    def __init__(self, event_writer: Any, index: Optional[str], host: str, source: str, sourcetype: str):
        self.event_writer = event_writer
        self._out = event_writer._out  # as EventSink: splunklib keeps the stream here
        head = "<source>%s</source><sourcetype>%s</sourcetype>" % (escape(source), escape(sourcetype))
        if index:
            head += "<index>%s</index>" % escape(index)
        head += "<host>%s</host>" % escape(host)
        self._head = head
        self.events_written = 0

    def render(self, event: Dict[str, Any], epoch: float) -> str:
        try:
            data = _dumps(event)
            data.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from Auth0's JSON: keep it as a JSON escape
            data = json.dumps(event, ensure_ascii=True, separators=(",", ":"))
        return '<event unbroken="1"><time>%.3f</time>%s<data>%s</data><done /></event>' % (
            epoch, self._head, escape(data))  # fmt: skip

    def write(self, events: List[Dict[str, Any]], epoch: float) -> int:
        if not events:
            return 0
        text = "".join(self.render(event, epoch) for event in events)
        if not self.event_writer.header_written:
            self._out.write("<stream>")
            self.event_writer.header_written = True
        self._out.write(text)
        self._out.flush()
        self.events_written += len(events)
        return len(events)
