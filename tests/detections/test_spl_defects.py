"""The review's defects, shown on the SPL itself: each test runs the saved search as shipped before the review
(``fixtures/savedsearches_before_review.conf``, with its macros) and as shipped now, in the offline model of
Splunk's search language and scheduler, and the old one exhibits the defect the new one fixes."""

import copy
import datetime
import json
import os

import pytest

from tools.detections import cases, model, spl_cases
from tools.detections.scheduler import Scheduler
from tools.knowledge.searchtime import read_conf, read_saved_searches
from tools.spl_engine import Engine, Event

ROOT = model.ROOT
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
DEFAULT = os.path.join(ROOT, "package", "default")


NOW_CONF = read_saved_searches(os.path.join(DEFAULT, "savedsearches.conf"))
OLD_CONF = read_saved_searches(os.path.join(FIXTURES, "savedsearches_before_review.conf"))
OLD_MACROS = {
    k: v.get("definition", "") for k, v in read_conf(os.path.join(FIXTURES, "macros_before_review.conf")).items()
}
T0 = datetime.datetime(2026, 1, 5, 10, 0, tzinfo=datetime.timezone.utc).timestamp()


def engine(old=False, watchlist=()):
    current = Engine.from_package(root=ROOT, watchlist=list(watchlist))
    if not old:
        return current
    return Engine(
        macros=OLD_MACROS,
        lookups_dir=os.path.join(ROOT, "package", "lookups"),
        transforms_conf=os.path.join(DEFAULT, "transforms.conf"),
        watchlist=list(watchlist),
    )


def envelope(log_id, at, **data):
    body = {"date": cases.iso(datetime.datetime.fromtimestamp(at, tz=datetime.timezone.utc)), "type": "sapi"}
    body.update(data)
    body.setdefault("tenant_name", "acme")
    return {"log_id": log_id, "data": body}


def dcr(log_id, at, tenant="acme", ip="203.0.113.7"):
    return envelope(
        log_id,
        at,
        description="Dynamic client registration",
        ip=ip,
        details={
            "request": {"method": "post", "path": "/oidc/register", "body": {"client_name": f"agent {log_id}"}},
            "response": {"statusCode": 201, "body": {"client_id": f"tpc_{log_id}"}},
        },
        tenant_name=tenant,
    )


def events(envelopes, delay=30.0):
    return [Event.from_envelope(e, indextime=cases.moment(e["data"]["date"]).timestamp() + delay) for e in envelopes]


DCR_NAME = "Auth0 - Dynamic client registration burst - Rule"


# 1. a macro inside a quoted string ------------------------------------------------------------------------------
def signups():
    found = []
    for n in range(25):
        found.append(envelope(f"s{n}", T0 + 30 * n, type="ss", user_id=f"auth0|bot{n}", user_name=f"bot{n}@x.io"))
    return found


@pytest.mark.parametrize(("conf", "old", "alerts"), [(OLD_CONF, True, 0), (NOW_CONF, False, 1)], ids=["before", "now"])
def test_unverified_signups_surge_fires_only_without_a_macro_in_a_quoted_string(conf, old, alerts):
    stanza = conf["Auth0 - Surge of signups that are never verified - Rule"]
    now = T0 + 3 * 3600
    rows = engine(old).run(stanza["search"], events(signups()), earliest=now - 26 * 3600, latest=now, now=now)
    assert len(rows) == alerts


# 2. max_stream_window ------------------------------------------------------------------------------------------
def busy_tenant_burst():
    """A 20-registration burst in tenant acme (one a minute) while another tenant is flooded with 16,000
    registrations (1,000 a minute) during the same minutes: streamstats' one window of at most 10,000 events then
    spans only the last 10 minutes, and acme never shows more than 11 registrations in it."""
    burst = [dcr(f"acme{n}", T0 + 60 * n) for n in range(20)]
    noise = [dcr(f"other{n}", T0 + 210 + 0.06 * n, tenant="other") for n in range(16000)]
    return burst + noise


@pytest.mark.parametrize(
    ("conf", "old", "fires"), [(OLD_CONF, True, False), (NOW_CONF, False, True)], ids=["before", "now"]
)
def test_a_burst_is_counted_whole_next_to_16000_events_of_another_tenant(conf, old, fires):
    stanza = conf[DCR_NAME]
    scheduled = T0 + 30 * 60
    rows = engine(old).run(
        stanza["search"],
        events(busy_tenant_burst(), delay=5),
        earliest=scheduled - 80 * 60,
        latest=scheduled - 300,
        now=scheduled,
    )
    tenants = {row.get("tenant") for row in rows}
    assert ("acme" in tenants) is fires


# 3 and 4. one alert per burst through the schedule; no skipped runs --------------------------------------------
def burst_through_the_schedule(conf, old, busy=()):
    """80 registrations, one every 30 seconds (40 minutes): the old search, 75 minutes wide with a 1-hour
    suppression, finds the burst again once the suppression has ended."""
    burst = [dcr(f"r{n:02d}", T0 + 30 * n) for n in range(80)]
    scheduler = Scheduler(engine(old), conf[DCR_NAME], busy=busy)
    return scheduler.alerts(events(burst), T0, T0 + 6 * 3600)


def test_a_burst_alerted_twice_before_and_once_now():
    assert len(burst_through_the_schedule(OLD_CONF, True)) >= 2
    (alert,) = burst_through_the_schedule(NOW_CONF, False)
    assert len(alert.result["log_ids"]) == 20  # the registrations indexed by the first run (T0 + 15 min)


def test_a_busy_scheduler_skipped_the_burst_before_and_catches_up_now():
    busy = [(T0 + 10 * 60, T0 + 200 * 60)]  # the scheduler cannot start the search for 3 hours
    assert burst_through_the_schedule(OLD_CONF, True, busy) == []
    (alert,) = burst_through_the_schedule(NOW_CONF, False, busy)
    assert len(alert.result["log_ids"]) == 20


# 5. late events --------------------------------------------------------------------------------------------------
def late_secret_read():
    event = envelope(
        "late",
        T0,
        type="mgmt_api_read",
        description="Get client by ID",
        ip="198.51.100.4",
        user_id="auth0|admin",
        details={
            "accessedSecrets": ["client_secret"],
            "request": {"method": "get", "path": "/api/v2/clients/APP1", "auth": {"user": {"email": "a@x.io"}}},
            "response": {"statusCode": 200, "body": {"client_id": "APP1"}},
        },
    )
    return [Event.from_envelope(event, indextime=T0 + 20 * 60)]  # indexed 20 minutes late


@pytest.mark.parametrize(("conf", "old", "count"), [(OLD_CONF, True, 0), (NOW_CONF, False, 1)], ids=["before", "now"])
def test_an_event_indexed_20_minutes_late_alerts_once(conf, old, count):
    stanza = conf["Auth0 - Client secret read - Rule"]
    alerts = Scheduler(engine(old), stanza).alerts(late_secret_read(), T0 - 3600, T0 + 6 * 3600)
    assert len(alerts) == count


def test_a_late_event_that_completes_a_burst_alerts_once():
    burst = [dcr(f"r{n}", T0 + 60 * n) for n in range(15)]
    timed = [*events(burst[:14]), Event.from_envelope(burst[14], indextime=T0 + 14 * 60 + 20 * 60)]
    (alert,) = Scheduler(engine(), NOW_CONF[DCR_NAME]).alerts(timed, T0, T0 + 6 * 3600)
    assert len(alert.result["log_ids"]) == 15


# 6. [spath] extraction_cutoff ------------------------------------------------------------------------------------
def large_client_update():
    body = {"client_id": "APP1", "description": "x" * 6000, "grant_types": ["authorization_code", "implicit"]}
    return [
        envelope(
            "big",
            T0,
            description="Update a client",
            ip="81.2.69.144",
            details={
                "request": {"method": "patch", "path": "/api/v2/clients/APP1"},
                "response": {"statusCode": 200, "body": body},
            },
            user_id="auth0|admin",
        )
    ]


@pytest.mark.parametrize(("conf", "old", "count"), [(OLD_CONF, True, 0), (NOW_CONF, False, 1)], ids=["before", "now"])
def test_a_client_update_larger_than_5000_bytes_is_judged(conf, old, count):
    assert len(json.dumps(large_client_update()[0])) > 6000
    stanza = conf["Auth0 - Implicit or password grant enabled for an application - Rule"]
    rows = engine(old).run(
        stanza["search"], events(large_client_update()), earliest=T0 - 900, latest=T0 + 600, now=T0 + 900
    )
    assert len(rows) == count
    if count:
        assert rows[0]["target_client_id"] == "APP1"


# 8. risk objects -------------------------------------------------------------------------------------------------
def test_an_api_limit_without_ip_scores_the_tenant_not_a_phantom_system():
    stanza = NOW_CONF["Auth0 - Rate limit or attack-protection block - Rule"]
    limit = envelope("lim", T0, type="api_limit", description="Rate limit exceeded")
    (row,) = engine().run(stanza["search"], events([limit]), earliest=T0 - 900, latest=T0 + 600, now=T0 + 900)
    risk = json.loads(stanza["action.risk.param._risk"])
    objects = [row.get(entry["risk_object_field"]) for entry in risk if "risk_object_field" in entry]
    assert objects == ["acme"]
    old = OLD_CONF["Auth0 - Rate limit or attack-protection block - Rule"]
    (old_row,) = engine(True).run(old["search"], events([limit]), earliest=T0 - 900, latest=T0 + 600, now=T0 + 900)
    assert old_row["src"] == "unknown", "before: every tenant's alerts scored on the system 'unknown'"


# 10. capped ids --------------------------------------------------------------------------------------------------
def test_an_alert_lists_at_most_100_log_ids():
    burst = [dcr(f"r{n:04d}", T0 + 0.5 * n) for n in range(1500)]
    scheduled = T0 + 20 * 60
    rows = engine().run(
        NOW_CONF[DCR_NAME]["search"],
        events(burst, delay=1),
        earliest=scheduled - 6 * 3600,
        latest=scheduled - 300,
        now=scheduled,
    )
    (row,) = rows
    assert len(row["log_ids"]) == 100
    assert int(row["count"]) == 1500


# 13. credential stuffing across accounts -------------------------------------------------------------------------
def test_45_accounts_failing_from_one_ip_in_8_minutes_alert_with_the_new_rule_only():
    failures = [
        envelope(
            f"f{n}",
            T0 + 10 * n,
            type="fp",
            description="Wrong email or password.",
            ip="203.0.113.50",
            user_name=f"u{n}@x.io",
        )
        for n in range(45)
    ]
    scheduled = T0 + 20 * 60
    old = OLD_CONF["Auth0 - Credential stuffing from one IP - Rule"]
    kwargs = {"earliest": scheduled - 6 * 3600, "latest": scheduled - 300, "now": scheduled}
    assert engine(True).run(old["search"], events(failures), **kwargs) == []
    new = NOW_CONF["Auth0 - Credential stuffing across many accounts from one IP - Rule"]
    (row,) = engine().run(new["search"], events(failures), **kwargs)
    assert row["src"] == "203.0.113.50"
    assert row["severity"] == "high"
    success = envelope("ok", T0 + 460, type="s", ip="203.0.113.50", user_name="u3@x.io")
    (row,) = engine().run(new["search"], events([*failures, success]), **kwargs)
    assert row["severity"] == "critical"


# 7 and 12. cases the review added, run through the search shipped before it and through today's ---------------
def review_case(slug, name):
    detection = next(d for d in model.load_all() if d.slug == slug)
    case = next(c for c in cases.load(cases.tests_path(detection)) if c.name == name)
    return detection, case


REVIEW_CASES = [
    (
        "attack_protection_allowlist_unknown_ip",
        "an entry wider than the known network it starts in alerts (192.168.1.0/0 is every address)",
        # before: the prefix was stripped before the CIDR lookup, so 192.168.1.0/0 (every address) was "known"
        {("acme", "/api/v2/attack-protection/suspicious-ip-throttling"): ["wider"]},
    ),
    (
        "success_from_flagged_ip",
        "a success before the block is not a success from a flagged IP",
        {("acme", "198.51.100.23"): ["leak", "login"]},  # before: any order alerted
    ),
]


@pytest.mark.parametrize(("slug", "name", "before"), REVIEW_CASES, ids=[c[0] for c in REVIEW_CASES])
def test_the_search_before_the_review_failed_the_case_that_now_passes(slug, name, before, tmp_path):
    detection, case = review_case(slug, name)
    old = spl_cases.run_once(detection, case, OLD_CONF[detection.name], str(tmp_path / "old"), macros=OLD_MACROS)
    assert {key: sorted(ids) for key, ids in spl_cases.groups(detection, old).items()} == before
    now = spl_cases.run_once(detection, case, NOW_CONF[detection.name], str(tmp_path / "now"))
    expected = spl_cases.reference(detection, case)
    assert {key: sorted(ids) for key, ids in spl_cases.groups(detection, now).items()} == expected
    assert expected != before


def test_the_old_conf_fixture_is_the_one_shipped_before_the_review():
    old = OLD_CONF["Auth0 - Surge of signups that are never verified - Rule"]["search"]
    assert 'relative_time(now(), "-`auth0_unverified_signups_surge_grace_minutes`m")' in old
    assert copy.deepcopy(NOW_CONF) != OLD_CONF
