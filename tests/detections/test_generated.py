"""The generated Splunk files: up to date, parseable, and every saved search as an ES-ready detection must be."""

import json
import os
import re

import pytest
from addonfactory_splunk_conf_parser_lib import TABConfigParser

from tools.detections import compile as compiler
from tools.detections import model, spl

DETECTIONS = model.load_all()


def parse(path):
    parser = TABConfigParser()
    parser.read(path)
    return {name: dict(parser.items(name)) for name in parser.sections()}


SAVED = parse(compiler.SAVEDSEARCHES)
MACROS = parse(compiler.MACROS)


def test_generated_files_are_up_to_date():
    stale = []
    for path, text in compiler.outputs().items():
        with open(path, encoding="utf-8") as handle:
            if handle.read() != text:
                stale.append(os.path.relpath(path, model.ROOT))
    assert not stale, f"run python -m tools.detections.compile: {stale} are stale"


def test_check_mode_reports_staleness(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "savedsearches.conf"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(compiler, "SAVEDSEARCHES", str(stale))
    assert compiler.main(["--check"]) == 1
    assert "savedsearches.conf" in capsys.readouterr().err
    assert stale.read_text(encoding="utf-8") == "# old\n"


def test_generated_block_keeps_everything_outside_the_markers():
    block = compiler.macros_block(DETECTIONS)
    original = "# hand-written\n[auth0_logs]\ndefinition = x\n"
    once = compiler.with_block(original, block)
    assert once.startswith(original)
    assert once.endswith(block)
    assert compiler.with_block(once, block) == once
    edited = once.replace("definition = x", "definition = y") + "[after]\ndefinition = z\n"
    again = compiler.with_block(edited, compiler.macros_block(DETECTIONS[:1]))
    assert again.startswith(original.replace("x", "y"))
    assert again.endswith("[after]\ndefinition = z\n")
    with open(compiler.MACROS, encoding="utf-8") as handle:
        text = handle.read()
    assert text.count(compiler.BEGIN) == text.count(compiler.END) == 1
    assert "[auth0_logs]" in text.split(compiler.BEGIN)[0], "the knowledge macros stay outside the block"
    assert "[auth0_inventory]" in text.split(compiler.BEGIN)[0], "the inventory's product macro is hand-written too"
    assert MACROS["auth0_inventory"]["definition"] == '(`auth0_index` sourcetype="auth0:inventory")'


def test_one_saved_search_per_detection_in_the_generated_block():
    with open(compiler.SAVEDSEARCHES, encoding="utf-8") as handle:
        text = handle.read()
    block = text.split(compiler.BEGIN, 1)[1].split(compiler.END, 1)[0]
    assert re.findall(r"^\[(.+)\]$", block, re.M) == sorted(d.name for d in DETECTIONS)
    assert set(SAVED) >= {d.name for d in DETECTIONS}
    after = text.split(compiler.END, 1)[1]
    assert "[Auth0 - Watchlist fill from the configuration inventory]" in after, "the hand-written search stays"


def test_saved_searches_placed_by_hand_survive_regeneration():
    other = "[Auth0 - Watchlist fill]\nsearch = | inputlookup x\ncron_schedule = 23 * * * *\n"
    block = compiler.savedsearches_block(DETECTIONS[:2])
    text = compiler.with_block(other, block)
    assert text.startswith(other)
    assert compiler.with_block(text, compiler.savedsearches_block(DETECTIONS)).startswith(other)


@pytest.mark.parametrize("detection", DETECTIONS, ids=[d.slug for d in DETECTIONS])
def test_saved_search_quality(detection):
    stanza = SAVED[detection.name]
    assert stanza["disabled"] == "1"
    assert stanza["enableSched"] == "1"
    assert re.fullmatch(r"[\d*/]+ [\d*/]+ \* \* \*", stanza["cron_schedule"])
    assert stanza["dispatch.earliest_time"].startswith("-")
    assert stanza["dispatch.latest_time"]
    assert stanza["schedule_window"] == "auto"
    assert stanza["allow_skew"]
    assert stanza["request.ui_dispatch_app"] == "search"
    assert stanza["alert.suppress"] == "1"
    assert stanza["alert.suppress.period"] == detection.throttle
    fields = stanza["alert.suppress.fields"].split(",")
    assert fields == [spl.friendly(g) for g in detection.group_by]
    if detection.is_correlation:
        assert stanza["alert.suppress.period"] == model.span_text(detection.timespan) or detection.meta.get("alert")
    description = stanza["description"]
    assert "How to implement:" in description
    assert "Known false positives:" in description
    annotations = json.loads(stanza["action.correlationsearch.annotations"])
    assert annotations["mitre_attack"] == detection.mitre
    assert detection.mitre
    assert stanza["action.correlationsearch.enabled"] == "1"
    assert stanza["realtime_schedule"] == "0"
    assert stanza["alert.track"] == "0", "ES tracks correlation searches as notables"
    search = stanza["search"].replace("\\\n", "\n")
    assert stanza["action.notable.param.severity"] == detection.level
    assert stanza["action.notable.param.nes_fields"] == ",".join(fields)
    entries = json.loads(stanza["action.risk.param._risk"])
    risks = [e for e in entries if "risk_object_field" in e]
    threats = [e for e in entries if "threat_object_field" in e]
    tenant = spl.friendly(detection.source.default_group_by[0])
    if spl.risk_user_field(detection):
        assert [r["risk_object_field"] for r in risks] == ["risk_user", "risk_tenant"]
        assert "risk_tenant=if(isnull(risk_user)" in search
    else:
        assert [r["risk_object_field"] for r in risks] == [tenant]
    assert all(r["risk_score"] > 0 for r in risks)
    assert threats == (
        [] if detection.is_inventory else [{"threat_object_field": "src_ips", "threat_object_type": "ip_address"}]
    )
    first = search.splitlines()[0]
    macro = detection.source.macro
    assert first.startswith((macro, f"| multisearch [search {macro}"))
    assert search.rstrip().endswith(f"| `{detection.filter_macro}`")
    if detection.is_inventory:
        triage_fields = ("object_types", "object_names", "findings", "risk_severities", "object_ids", "snapshot_ids")
        assert "log_id" not in search
        assert "data." not in search
        drilldown = "`auth0_inventory`"
    else:
        triage_fields = ("actors", "src_ips", "clients", "target_client_ids", "descriptions", "requests", "log_ids")
        assert "object_ids" not in search
        drilldown = "`auth0_logs`"
    assert stanza["action.notable.param.drilldown_search"].startswith(drilldown)
    for group in detection.group_by:
        if group not in detection.derive:
            assert f'="${spl.friendly(group)}$"' in stanza["action.notable.param.drilldown_search"], group
    for triage in triage_fields:
        assert f" as {triage}" in search
    for field in fields:
        assert f"AS {field}" in search or f"by {field}" in search or field in detection.group_by


def test_every_macro_a_search_uses_is_defined():
    defined = set(MACROS)
    for name, stanza in SAVED.items():
        for macro in re.findall(r"`([^`(]+)`", stanza["search"]):
            assert macro in defined, f"{name}: `{macro}` is not in macros.conf"


def test_thresholds_and_filters_are_macros():
    for detection in DETECTIONS:
        assert MACROS[detection.filter_macro]["definition"] == "search *"
        if detection.threshold is not None:
            assert MACROS[f"{detection.key}_threshold"]["definition"] == str(int(detection.threshold))
            assert f"`{detection.key}_threshold`" in SAVED[detection.name]["search"]
        for name in detection.params:
            assert f"`{detection.key}_{name}`" in SAVED[detection.name]["search"]


def test_lookups_have_transforms_and_files():
    transforms = parse(compiler.TRANSFORMS)
    from tools.detections.placeholders import LOOKUPS

    for lookup in LOOKUPS.values():
        assert transforms[lookup.name]["filename"] == lookup.filename
        assert os.path.exists(os.path.join(model.ROOT, "package", "lookups", lookup.filename))
        assert set(lookup.columns) <= set(lookup.rows()[0].keys() if lookup.rows() else lookup.columns)
    assert "auth0_log_types" in transforms, "the knowledge lookups stay"


def test_docs_cover_every_detection():
    with open(compiler.DOCS, encoding="utf-8") as handle:
        text = handle.read()
    for detection in DETECTIONS:
        assert detection.name in text
