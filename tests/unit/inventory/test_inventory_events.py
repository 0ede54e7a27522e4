"""Inventory events: their JSON shape, the modular-input XML, and what props.conf [auth0:inventory] makes of them."""

import io
import json
import re

from inventory_fixtures import MGMT_SCOPES, TENANT, client, grant, snapshot
from splunklib.modularinput import EventWriter

from ta_auth0.findings import assess
from ta_auth0.inventory_collector import Snapshot
from ta_auth0.inventory_events import InventoryEventSink, iso_time, object_events, summary_event
from tools.knowledge.searchtime import KnowledgeModel
from tools.modinput_stream import parse_events

STARTED = 1_780_000_000.25


def sample_snapshot():
    shot = Snapshot("3f0c6a8e-1111-4222-8333-444455556666", TENANT, STARTED)
    shot.finished_at = STARTED + 2.5
    shot.objects = snapshot(
        client=[client("ax", "API Explorer Application"), client("web", "Shop <&>", app_type="spa",
                                                                  grant_types=["implicit"])],
        client_grant=[grant("g1", "ax", MGMT_SCOPES)],
        tenant_settings=[{"flags": {"enable_dynamic_client_registration": True}}],
    )  # fmt: skip
    shot.skipped = {"role": "missing scope read:roles"}
    return shot


def build():
    shot = sample_snapshot()
    assessment = assess(shot.objects, TENANT, shot.finished_at)
    events = object_events(shot, assessment)
    events.append(summary_event(shot, assessment, requests=9))
    return shot, events


def test_every_object_event_names_its_object_snapshot_and_tenant():
    shot, events = build()
    by = {(e["object_type"], e["object_id"]): e for e in events}
    explorer = by[("client", "ax")]
    assert list(explorer)[:9] == ["collected_at", "snapshot_id", "tenant", "object_type", "object_id", "object_name",
                                  "risk_findings", "risk_severity", "risk_details"]  # fmt: skip
    assert explorer["collected_at"] == "2026-05-28T20:26:40.250Z" == iso_time(STARTED)
    assert explorer["risk_findings"] == ["api_explorer", "privileged_m2m"]
    assert explorer["risk_severity"] == "critical"
    assert explorer["watchlist_category"] == "api_explorer"
    assert explorer["object"] == shot.objects["client"][0]
    assert list(explorer)[-1] == "object"
    assert by[("client_grant", "g1")]["object_name"] == f"API Explorer Application -> https://{TENANT}/api/v2/"
    assert by[("tenant_settings", TENANT)]["risk_findings"] == ["dcr_enabled"]
    assert by[("resource_server", "rs-mgmt")]["risk_severity"] == "none"
    assert {e["snapshot_id"] for e in events} == {shot.snapshot_id}


def test_the_summary_event():
    shot, events = build()
    summary = events[-1]
    assert summary["object_type"] == "snapshot"
    assert summary["object_id"] == shot.snapshot_id
    assert summary["counts"] == {"resource_server": 1, "client": 2, "client_grant": 1, "tenant_settings": 1}
    assert summary["objects_total"] == 5
    assert summary["skipped_types"] == ["role"]
    assert summary["skipped_reasons"] == {"role": "missing scope read:roles"}
    assert summary["complete"] is False
    assert summary["duration_seconds"] == 2.5
    assert summary["requests"] == 9
    assert summary["findings_by_id"]["api_explorer"] == 1
    assert summary["findings_total"] == sum(summary["findings_by_severity"].values())


def test_xml_stream_and_time():
    _, events = build()
    out = io.StringIO()
    sink = InventoryEventSink(EventWriter(output=out), "auth0", TENANT, f"auth0://{TENANT}", "auth0:inventory")
    assert sink.write(events, STARTED) == len(events)
    parsed, truncated = parse_events(out.getvalue())
    assert not truncated
    assert len(parsed) == len(events)
    for xml_event, event in zip(parsed, events):
        assert json.loads(xml_event["data"]) == event
        assert xml_event["sourcetype"] == "auth0:inventory"
        assert xml_event["index"] == "auth0"
        assert xml_event["host"] == TENANT
        assert xml_event["time"] == "1780000000.250"


def test_a_lone_surrogate_is_written_as_a_json_escape():
    out = io.StringIO()
    sink = InventoryEventSink(EventWriter(output=out), None, TENANT, "s", "auth0:inventory")
    sink.write([{"collected_at": "x", "object_name": "bad \ud800"}], STARTED)
    assert "\\ud800" in out.getvalue()


def test_props_timestamp_and_search_time_fields():
    _, events = build()
    model = KnowledgeModel()
    stanza = model.props["auth0:inventory"]
    raw = json.dumps(events[0], separators=(",", ":"))
    prefix = re.match(stanza["TIME_PREFIX"], raw)
    assert prefix is not None
    assert raw[prefix.end() : prefix.end() + 24] == events[0]["collected_at"]
    assert int(stanza["TRUNCATE"]) >= 1_000_000
    explorer = next(e for e in events if e["object_id"] == "ax")
    fields = model.fields(json.dumps(explorer), "auth0:inventory")
    assert fields["risk_findings"] == ["api_explorer", "privileged_m2m"]
    assert fields["object"] == "API Explorer Application"
    assert fields["object_category"] == "client"
    assert fields["dest"] == TENANT
    assert fields["vendor_product"] == "Auth0"
    assert fields["watchlist_category"] == "api_explorer"
    assert "eventtype" not in fields  # no CIM data model fits configuration objects (docs/inventory.md)
