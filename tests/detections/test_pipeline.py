"""The processing pipeline and backend adaptations, on small rules."""

import pytest
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline

from tools.detections import cases, placeholders
from tools.detections.backends import Auth0SplunkBackend, Auth0SQLiteBackend
from tools.detections.engine import Engine

RULE = """
title: test
id: 0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b
logsource: {product: auth0}
detection:
  sel:
    data.type: mgmt_api_read
    data.details.accessedSecrets{}: client_secret
  by_name:
    data.client_name: API Explorer Application
  watched:
    data.details.response.body.client_id|expand: '%auth0_watchlist_critical%'
  condition: CONDITION
"""


def rule(condition):
    (parsed,) = SigmaCollection.from_yaml(RULE.replace("CONDITION", condition))
    return parsed


def splunk(condition, mode):
    (query,) = Auth0SplunkBackend(ProcessingPipeline(), mode=mode).convert_rule(rule(condition))
    return query


@pytest.mark.parametrize(
    ("condition", "prefilter", "post"),
    [
        ("sel and watched", 'data.type="mgmt_api_read" data.details.accessedSecrets{}="client_secret"',
         'watchlist_match="true"'),
        ("sel and not watched", 'data.type="mgmt_api_read" data.details.accessedSecrets{}="client_secret"',
         'NOT watchlist_match="true"'),
        ("sel and (by_name or watched)", 'data.type="mgmt_api_read" data.details.accessedSecrets{}="client_secret"',
         'data.client_name="API Explorer Application" OR watchlist_match="true"'),
        ("not (sel and watched)", "*", 'NOT (data.type="mgmt_api_read" data.details.accessedSecrets{}="client_secret" '
         'watchlist_match="true")'),
    ],
)  # fmt: skip
def test_prefilter_is_the_weakest_condition_and_post_the_rest(condition, prefilter, post):
    assert splunk(condition, "prefilter") == prefilter
    assert splunk(condition, "post") == post


def test_multivalue_fields_match_any_element_in_sqlite():
    pipeline = placeholders.sqlite_pipeline(["auth0_watchlist_critical"], [{"client_id": "C1", "category": "critical"}])
    (query,) = Auth0SQLiteBackend(pipeline).convert_rule(rule("sel and watched"))
    assert "EXISTS (SELECT 1 FROM json_each(`data.details.accessedSecrets{}`)" in query
    events = cases.build_events(
        [
            {"id": "hit", "data": {"details": {"accessedSecrets": ["signing_keys", "client_secret"]}}},
            {"id": "miss", "data": {"details": {"accessedSecrets": ["signing_keys"]}}},
            {
                "id": "other",
                "data": {"details": {"accessedSecrets": ["client_secret"], "response": {"body": {"client_id": "C2"}}}},
            },
        ],
        {"data": {"type": "mgmt_api_read", "details": {"response": {"body": {"client_id": "c1"}}}}},
    )
    engine = Engine(events)
    rows = engine._query(query.replace("SELECT *", "SELECT log_id"))
    assert [row["log_id"] for row in rows] == ["hit"]


def test_empty_watchlist_matches_nothing():
    values = placeholders.sqlite_values("auth0_watchlist_critical", [], {})
    assert values == [placeholders.NO_ENTRIES]


def test_cidr_lookup_values_become_address_patterns():
    assert placeholders.sqlite_values(
        "auth0_dcr_source_allowlist", [], {"auth0_dcr_source_allowlist": ["10.1.0.0/16"]}
    ) == ["10.1.*"]


def test_unknown_placeholder_is_refused():
    with pytest.raises(ValueError, match="neither a watchlist category"):
        placeholders.resolve("auth0_nothing")
    with pytest.raises(ValueError, match="unknown watchlist category"):
        placeholders.resolve("auth0_watchlist_vip")


def test_yaml_booleans_as_event_ids_are_refused():
    with pytest.raises(ValueError, match="quote it"):
        cases.build_events([{"id": False}], {})
