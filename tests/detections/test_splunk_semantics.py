"""The Splunk-semantics gate over what ships: every saved search, every macro and every dashboard query pass
each check of :mod:`tools.detections.semantics`, and each check is shown to catch the defect it guards (the
defective samples are the shapes the add-on shipped before the review)."""

import json
import os
import re
from xml.etree import ElementTree

import pytest

from tools.detections import model, sources
from tools.detections import semantics as gate
from tools.knowledge.searchtime import read_conf, read_saved_searches

ROOT = model.ROOT
DEFAULT = os.path.join(ROOT, "package", "default")
SAVED = read_saved_searches()
MACROS = {
    name: stanza.get("definition", "") for name, stanza in read_conf(os.path.join(DEFAULT, "macros.conf")).items()
}
DETECTIONS = {d.name: d for d in model.load_all()}


def view_queries():
    """(view, data source id, full query) of every search data source; chained sources carry their base."""
    found = []
    views = os.path.join(DEFAULT, "data", "ui", "views")
    for filename in sorted(os.listdir(views)):
        root = ElementTree.parse(os.path.join(views, filename)).getroot()
        definition = json.loads(root.find("definition").text)
        sources_ = definition.get("dataSources", {})

        def full(source_id, sources_=sources_):
            options = sources_[source_id].get("options", {})
            base = options.get("extend")
            query = options.get("query", "")
            return (full(base) + "\n" + query) if base else query

        for source_id, source in sources_.items():
            if source.get("type") in ("ds.search", "ds.chain"):
                found.append((filename, source_id, full(source_id)))
    return found


VIEW_QUERIES = view_queries()


def source_of(search):
    return sources.INVENTORY if search.lstrip().startswith("`auth0_inventory`") else sources.LOGS


@pytest.mark.parametrize("name", sorted(SAVED))
def test_every_saved_search_passes_the_gate(name):
    stanza = SAVED[name]
    search = stanza["search"]
    problems = (
        gate.macro_in_quotes(search)
        + gate.continuous_schedule(stanza)
        + gate.no_join(search)
        + gate.streamstats_window(search)
        + gate.duplicate_alerts(stanza)
        + gate.risk_object_filled(stanza)
        + gate.by_fields(search)
        + gate.fill_before_dedup(search)
        + gate.index_star(stanza, MACROS)
        + gate.ids_capped(search)
    )
    if name in DETECTIONS:
        problems += gate.fields_past_cutoff(search, source_of(search).is_head)
    assert problems == []


def test_the_gate_saw_every_detection_and_the_fill_search():
    assert set(DETECTIONS) <= set(SAVED)
    assert "Auth0 - Watchlist fill from the configuration inventory" in SAVED


@pytest.mark.parametrize("name", sorted(MACROS))
def test_no_macro_definition_hides_a_macro_in_a_quoted_string(name):
    assert gate.macro_in_quotes(MACROS[name]) == []


@pytest.mark.parametrize(("view", "source_id", "query"), VIEW_QUERIES, ids=[f"{v}:{s}" for v, s, _ in VIEW_QUERIES])
def test_every_dashboard_query_passes_the_gate(view, source_id, query):
    assert gate.macro_in_quotes(query) + gate.no_join(query) + gate.streamstats_window(query) == []


def test_the_views_were_found():
    assert {view for view, _, _ in VIEW_QUERIES} == {
        "auth0_overview.xml",
        "auth0_copied_credentials.xml",
        "auth0_dcr.xml",
    }


# -- each check catches the defect it guards -------------------------------------------------------------------
OLD_DCR = {
    "search": '`auth0_logs` data.type="sapi" data.description="Dynamic client registration"\n| dedup log_id\n'
    "| where isnotnull('data.tenant_name')\n| sort 0 _time\n"
    "| streamstats time_window=60m count as auth0_window_count by data.tenant_name\n"
    "| stats count values(log_id) as log_ids by data.tenant_name",
    "enableSched": "1",
    "cron_schedule": "*/15 * * * *",
    "dispatch.earliest_time": "-80m@m",
    "dispatch.latest_time": "-5m@m",
    "alert.suppress": "1",
    "alert.suppress.period": "1h",
}
OLD_RATE_LIMIT = {
    "search": '`auth0_logs` data.type IN ("api_limit", "limit_wc")\n'
    '| fillnull value="unknown" data.tenant_name data.type data.ip\n'
    "| stats count values(log_id) as log_ids by data.tenant_name data.type data.ip\n"
    "| rename data.tenant_name AS tenant, data.type AS signature_id, data.ip AS src",
    "action.risk.param._risk": '[{"risk_object_field": "src", "risk_object_type": "system", "risk_score": 75}]',
}
DEFECTS = [
    (
        "macro_in_quotes",
        lambda: gate.macro_in_quotes(
            '| where _time <= relative_time(now(), "-`auth0_unverified_signups_surge_grace_minutes`m")'
        ),
        "not expanded",
    ),
    ("continuous_schedule", lambda: gate.continuous_schedule({"enableSched": "1"}), "realtime_schedule = 0"),
    (
        "no_join",
        lambda: gate.no_join(
            '`auth0_logs` data.type IN ("s", "scoa")\n| join type=inner "data.security_context.ja4" '
            '[search `auth0_logs` data.type="f" | stats count as auth0_failures by "data.security_context.ja4"]'
        ),
        "join",
    ),
    ("streamstats_window", lambda: gate.streamstats_window(OLD_DCR["search"]), "10,000"),
    ("duplicate_alerts", lambda: gate.duplicate_alerts(OLD_DCR), "shorter than the dispatch range"),
    (
        "duplicate_alerts (index slice wider than the interval)",
        lambda: gate.duplicate_alerts(
            dict(OLD_DCR, **{"dispatch.index_earliest": "-35m@m", "dispatch.index_latest": "-5m@m"})
        ),
        "not the cron interval",
    ),
    ("risk_object_filled", lambda: gate.risk_object_filled(OLD_RATE_LIMIT), "risk object data.ip"),
    (
        "by_fields",
        lambda: gate.by_fields('`auth0_logs` data.type="api_limit"\n| stats count by data.tenant_name data.ip'),
        "stats by data.tenant_name",
    ),
    (
        "by_fields (dedup)",
        lambda: gate.by_fields("`auth0_logs` x\n| dedup data.details.response.body.client_id"),
        "dedup data.details.response.body.client_id",
    ),
    (
        "fill_before_dedup",
        lambda: gate.fill_before_dedup(
            '`auth0_logs` data.type="sapi"\n| sort 0 - _time\n'
            '| fillnull value="-" data.tenant_name data.details.response.body.client_id\n'
            "| dedup data.tenant_name data.details.response.body.client_id"
        ),
        "collapse",
    ),
    (
        "index_star",
        lambda: gate.index_star(
            {"search": '`auth0_index` sourcetype="auth0:inventory"', "enableSched": "1", "disabled": "0"},
            {"auth0_index": "index=*"},
        ),
        "index=*",
    ),
    (
        "fields_past_cutoff",
        lambda: gate.fields_past_cutoff(
            '`auth0_logs` data.type="sapi" data.details.response.body.grant_types{} IN ("implicit")\n'
            '| fillnull value="-" data.tenant_name\n| stats count by data.tenant_name',
            sources.LOGS.is_head,
        ),
        "data.details.response.body.grant_types{} used in the search",
    ),
    ("ids_capped", lambda: gate.ids_capped(OLD_DCR["search"]), "not capped"),
]


@pytest.mark.parametrize(("check", "run", "expected"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_check_catches_its_defect(check, run, expected):
    problems = run()
    assert problems, f"{check} missed its defect"
    assert any(expected in problem for problem in problems), problems


def test_macros_are_not_expanded_inside_quoted_strings():
    macros = {"grace": "60", "auth0_index": "index=auth0"}
    text = '`auth0_index` | where _time <= relative_time(now(), "-`grace`m") AND x=`grace`'
    assert gate.expand_macros(text, macros) == 'index=auth0 | where _time <= relative_time(now(), "-`grace`m") AND x=60'


def test_the_unverified_signups_grace_period_is_arithmetic():
    search = SAVED["Auth0 - Surge of signups that are never verified - Rule"]["search"]
    assert "_time <= now() - 60 * `auth0_unverified_signups_surge_grace_minutes`" in search
    assert "relative_time" not in search


def test_pipes_inside_quotes_and_subsearches_do_not_split_commands():
    assert gate.commands('a="x|y" | multisearch [search b | eval c=1] [search d] | stats count') == [
        'a="x|y"',
        "multisearch [search b | eval c=1] [search d]",
        "stats count",
    ]


def test_relative_times_and_crons_the_gate_reads():
    assert gate.minutes("-320m@m") == 321
    assert gate.minutes("-25h@h") == 25 * 60 + 60
    assert gate.minutes("now") == 0
    assert gate.cron_interval_minutes("*/15 * * * *") == 15
    assert gate.cron_interval_minutes("17 * * * *") == 60
    with pytest.raises(ValueError, match="not a relative time"):
        gate.minutes("@d")
    assert re.fullmatch(gate.FIELD_TOKEN, "data.details.response.body.grant_types{}")
