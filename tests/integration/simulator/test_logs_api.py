"""GET /api/v2/logs: authentication, checkpoint mode, search mode, single log, retention."""

import datetime
import re
import time
from urllib.parse import parse_qs, urlsplit

import auth0sim_helpers as helpers
import pytest
from auth0sim_helpers import DOMAIN, make_tenant

from tools.auth0_sim import RateLimitPolicy, SimulatedTenant
from tools.auth0_sim.timeutil import format_date, parse_date

# fixtures shared through auth0sim_helpers (no conftest.py here on purpose)
rsa_key = helpers.rsa_key
run_sim = helpers.run_sim
sim_api = helpers.sim_api

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def utc(days=0, hours=0, minutes=0):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days, hours=hours, minutes=minutes)


# -- authentication and authorisation ---------------------------------------------------


def test_missing_and_bad_authentication(sim_api):
    _sim, api, _tenant = sim_api
    r = api.get("/api/v2/logs", {"take": 5})
    assert r.status_code == 401
    assert r.json() == {"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"}
    r = api.get("/api/v2/logs", {"take": 5}, token="not-a-token")
    assert r.status_code == 401
    assert r.json()["message"] == "Invalid token"
    r = api.get("/api/v2/logs", {"take": 5}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_insufficient_scope(sim_api):
    _sim, api, _tenant = sim_api
    token = api.token("m2m-clients")
    r = api.get("/api/v2/logs", {"take": 5}, token=token)
    assert r.status_code == 403
    assert r.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:logs,read:logs_users",
        "errorCode": "insufficient_scope",
    }
    for header in RATE_HEADERS:
        assert header in r.headers


def test_read_logs_users_scope_is_enough(sim_api):
    _sim, api, _tenant = sim_api
    assert api.get("/api/v2/logs", {"take": 5}, token=api.token("m2m-users")).status_code == 200


def test_unknown_api_path_is_404_json(sim_api):
    _sim, api, _tenant = sim_api
    token = api.token()
    for path in ("/api/v2/users", "/api/v2/nothing/here"):
        r = api.get(path, token=token)
        assert r.status_code == 404
        assert r.json()["statusCode"] == 404
        for header in RATE_HEADERS:
            assert header in r.headers
    assert api.get("/somewhere", token=token).status_code == 404


def test_tokens_are_per_tenant(run_sim, rsa_key):
    first = make_tenant(rsa_key, logs=20)
    second = make_tenant(rsa_key, logs=20, domain="beta.eu.auth0.com", log_id_prefix="800")
    _sim, api = run_sim([first, second])
    from auth0sim_helpers import Api

    beta = Api(api.sim, "beta.eu.auth0.com")
    try:
        token_a = api.token()
        token_b = beta.token()
        assert api.get("/api/v2/logs", {"take": 1}, token=token_a).status_code == 200
        r = beta.get("/api/v2/logs", {"take": 100}, token=token_b)
        assert r.status_code == 200
        assert all(log["log_id"].startswith("800") for log in r.json())
        assert "beta.eu.auth0.com" in r.headers["Link"]
        assert beta.get("/api/v2/logs", {"take": 1}, token=token_a).status_code == 401
    finally:
        beta.close()


# -- checkpoint mode ------------------------------------------------------------------------


def test_checkpoint_pages_through_everything(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    expected = [log["log_id"] for log in tenant.visible_logs()]
    assert len(expected) == 1200
    seen = []
    url, params = "/api/v2/logs", {"take": 100}
    pages = 0
    while True:
        r = api.get(url, params, token=token)
        assert r.status_code == 200
        page = r.json()
        assert isinstance(page, list)
        link = r.links["next"]["url"]
        query = parse_qs(urlsplit(link).query)
        assert link.startswith("https://%s/api/v2/logs?" % DOMAIN)
        assert query["take"] == ["100"]
        pages += 1
        if not page:
            assert query["from"] == [seen[-1]]  # the next link of an empty page repeats the request
            break
        assert query["from"] == [page[-1]["log_id"]]
        seen.extend(log["log_id"] for log in page)
        url, params = link, None
    assert seen == expected
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)
    assert pages == 13


def test_checkpoint_defaults_and_validation(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    oldest = tenant.visible_logs()[:50]
    r = api.get("/api/v2/logs", {"take": ""}, token=token)
    assert [log["log_id"] for log in r.json()] == [log["log_id"] for log in oldest]
    # only `from`: default take 50; `take` alone starts at the oldest retained log
    r = api.get("/api/v2/logs", {"from": oldest[9]["log_id"]}, token=token)
    assert len(r.json()) == 50
    assert r.json()[0]["log_id"] == tenant.visible_logs()[10]["log_id"]
    assert "take=50" in r.headers["Link"]
    r = api.get("/api/v2/logs", {"take": 3}, token=token)
    assert [log["log_id"] for log in r.json()] == [log["log_id"] for log in oldest[:3]]
    # more than 100, not a number, zero: 400
    for bad in ("101", "abc", "0"):
        r = api.get("/api/v2/logs", {"take": bad}, token=token)
        assert r.status_code == 400, bad
        assert r.json()["statusCode"] == 400
        assert r.json()["errorCode"] == "invalid_query_string"
        assert "take" in r.json()["message"]
    assert api.get("/api/v2/logs", {"take": 100}, token=token).status_code == 200


def test_checkpoint_ignores_other_parameters(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    r = api.get("/api/v2/logs", {"take": 20, "q": "type:fp", "sort": "date:-1", "per_page": 5}, token=token)
    assert [log["log_id"] for log in r.json()] == [log["log_id"] for log in tenant.visible_logs()[:20]]


def test_checkpoint_empty_page_and_new_logs(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    last = tenant.log_ids[-1]
    r = api.get("/api/v2/logs", {"from": last, "take": 100}, token=token)
    assert r.json() == []
    assert r.links["next"]["url"] == "https://%s/api/v2/logs?from=%s&take=100" % (DOMAIN, last)
    # a new log shows up after the checkpoint
    new = tenant.add_log({"type": "s", "description": "Successful login", "hostname": DOMAIN})
    assert new["log_id"] > last
    assert new["_id"] == new["log_id"]
    r = api.get(r.links["next"]["url"], token=token)
    assert [log["log_id"] for log in r.json()] == [new["log_id"]]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r.json()[0]["date"])


def test_log_by_id(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    log = tenant.visible_logs()[17]
    r = api.get("/api/v2/logs/" + log["log_id"], token=token)
    assert r.status_code == 200
    assert r.json() == log
    r = api.get("/api/v2/logs/900" + "1" * 53, token=token)
    assert r.status_code == 404
    assert r.json()["statusCode"] == 404


# -- search mode ------------------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.text
    return [log["log_id"] for log in response.json()]


def _date_sorted(logs, descending=True):
    ordered = sorted(logs, key=lambda log: (parse_date(log["date"]), log["log_id"]))
    return list(reversed(ordered)) if descending else ordered


def test_search_type_and_default_sort(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    expected = _date_sorted([log for log in tenant.visible_logs() if log["type"] == "fp"])
    assert expected
    r = api.get("/api/v2/logs", {"q": "type:fp", "per_page": 100}, token=token)
    assert _ids(r) == [log["log_id"] for log in expected[:100]]
    assert "Link" not in r.headers
    r = api.get("/api/v2/logs", {"q": "type:fp", "per_page": 100, "sort": "date:1"}, token=token)
    assert _ids(r) == [log["log_id"] for log in reversed(expected)][:100]


def test_search_date_ranges_and_boolean_terms(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    logs = tenant.visible_logs()
    middle = _date_sorted(logs, descending=False)[600]["date"]
    mid_ms = parse_date(middle)
    later = [log for log in logs if parse_date(log["date"]) >= mid_ms]
    r = api.get("/api/v2/logs", {"q": "date:[%s TO *]" % middle, "include_totals": "true", "per_page": 1}, token=token)
    assert r.json()["total"] == len(later)
    # the collector's start-id probe: the first log at or after a date
    r = api.get("/api/v2/logs", {"q": "date:[%s TO *]" % middle, "sort": "date:1", "per_page": 1}, token=token)
    assert _ids(r) == [_date_sorted(later, descending=False)[0]["log_id"]]
    r = api.get("/api/v2/logs", {"q": "date:[* TO %s]" % middle, "include_totals": "true"}, token=token)
    assert r.json()["total"] == len([log for log in logs if parse_date(log["date"]) <= mid_ms])
    lo, hi = format_date(mid_ms - 3600 * 1000), format_date(mid_ms + 3600 * 1000)
    window = [log for log in logs if mid_ms - 3600000 <= parse_date(log["date"]) <= mid_ms + 3600000]
    r = api.get("/api/v2/logs", {"q": "date:[%s TO %s]" % (lo, hi), "include_totals": "true"}, token=token)
    assert r.json()["total"] == len(window)
    client_id = logs[5]["client_id"]
    q = "(type:fp OR type:fu) AND client_id:%s" % client_id
    expected = [log for log in logs if log["type"] in ("fp", "fu") and log["client_id"] == client_id]
    r = api.get("/api/v2/logs", {"q": q, "include_totals": "true", "per_page": 100}, token=token)
    assert r.json()["total"] == len(expected)
    assert {log["log_id"] for log in r.json()["logs"]} == {log["log_id"] for log in expected[:100]}
    target = logs[42]["log_id"]
    assert _ids(api.get("/api/v2/logs", {"q": "log_id:%s" % target}, token=token)) == [target]
    q = 'type:sapi AND NOT description:"Update a client"'
    expected = [log for log in logs if log["type"] == "sapi" and log["description"] != "Update a client"]
    r = api.get("/api/v2/logs", {"q": q, "include_totals": "true"}, token=token)
    assert r.json()["total"] == len(expected)


def test_search_paging_totals_and_fields(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    everything = [log["log_id"] for log in _date_sorted(tenant.visible_logs())]
    pages = [_ids(api.get("/api/v2/logs", {"page": p, "per_page": 100}, token=token)) for p in range(10)]
    assert [log_id for page in pages for log_id in page] == everything[:1000]
    r = api.get("/api/v2/logs", {"page": 2, "per_page": 7, "include_totals": "true"}, token=token)
    body = r.json()
    assert {k: body[k] for k in ("start", "limit", "length", "total")} == {
        "start": 14,
        "limit": 7,
        "length": 7,
        "total": 1200,
    }
    assert [log["log_id"] for log in body["logs"]] == everything[14:21]
    assert len(_ids(api.get("/api/v2/logs", {}, token=token))) == 50  # per_page default
    r = api.get("/api/v2/logs", {"fields": "log_id,type", "per_page": 3}, token=token)
    assert all(set(log) == {"log_id", "type"} for log in r.json())
    r = api.get("/api/v2/logs", {"fields": "details", "include_fields": "false", "per_page": 3}, token=token)
    assert all("details" not in log and "log_id" in log for log in r.json())


def test_search_paging_cap_and_validation(sim_api):
    _sim, api, _tenant = sim_api
    token = api.token()
    assert api.get("/api/v2/logs", {"page": 9, "per_page": 100}, token=token).status_code == 200
    assert api.get("/api/v2/logs", {"page": 19, "per_page": 50}, token=token).status_code == 200
    for params in ({"page": 10, "per_page": 100}, {"page": 20}, {"page": 1, "per_page": 600}):
        r = api.get("/api/v2/logs", params, token=token)
        assert r.status_code == 400, params
        if params.get("per_page") != 600:
            assert r.json()["errorCode"] == "invalid_paging"
    r = api.get("/api/v2/logs", {"per_page": 101}, token=token)
    assert r.status_code == 400
    assert r.json()["errorCode"] == "invalid_query_string"
    for bad in ("type:(fp", 'user_name:"open', "date:[yesterday TO *]", "date:[2024-01-01 *]"):
        r = api.get("/api/v2/logs", {"q": bad}, token=token)
        assert r.status_code == 400, bad
        assert r.json()["errorCode"] == "invalid_query"
    assert api.get("/api/v2/logs", {"sort": "date"}, token=token).status_code == 400
    assert api.get("/api/v2/logs", {"include_totals": "maybe"}, token=token).status_code == 400


def test_search_wildcards_and_fields_outside_the_index(sim_api):
    _sim, api, tenant = sim_api
    token = api.token()
    logs = tenant.visible_logs()
    expected = [log for log in logs if log.get("user_name", "").endswith("@example.org")]
    r = api.get("/api/v2/logs", {"q": "user_name:*@example.org", "include_totals": "true"}, token=token)
    assert r.json()["total"] == len(expected)
    expected = [log for log in logs if log.get("isMobile") is True]
    r = api.get("/api/v2/logs", {"q": "isMobile:true", "include_totals": "true"}, token=token)
    assert r.json()["total"] == len(expected) > 0


# -- retention -----------------------------------------------------------------------------------


def test_retention(run_sim, rsa_key):
    tenant = make_tenant(rsa_key, retention_days=1)
    old = [{"date": utc(days=-3, minutes=k), "type": "s", "description": "old"} for k in range(30)]
    new = [{"date": utc(hours=-2, minutes=k), "type": "s", "description": "new"} for k in range(30)]
    tenant.add_logs(old + new)
    assert all(log["date"].endswith("Z") for log in old)  # datetimes were normalised to ISO strings
    _sim, api = run_sim([tenant])
    token = api.token()
    new_ids = [log["log_id"] for log in new]
    # checkpoint: no `from` starts at the oldest retained log; an expired `from` resumes there too
    assert _ids(api.get("/api/v2/logs", {"take": 100}, token=token)) == new_ids
    assert _ids(api.get("/api/v2/logs", {"from": old[3]["log_id"], "take": 100}, token=token)) == new_ids
    synthetic = "900" + (utc(days=-10)).strftime("%Y%m%d%H%M%S") + "0" * 39  # Elastic-style start id
    assert _ids(api.get("/api/v2/logs", {"from": synthetic, "take": 5}, token=token)) == new_ids[:5]
    # search
    r = api.get("/api/v2/logs", {"q": "description:old", "include_totals": "true"}, token=token)
    assert r.json()["total"] == 0
    r = api.get("/api/v2/logs", {"include_totals": "true"}, token=token)
    assert r.json()["total"] == 30
    # single log
    assert api.get("/api/v2/logs/" + old[0]["log_id"], token=token).status_code == 404
    assert api.get("/api/v2/logs/" + new[0]["log_id"], token=token).status_code == 200
    assert len(tenant.logs) == 60
    assert len(tenant.visible_logs()) == 30


def test_log_ids_embed_the_indexing_time():
    tenant = SimulatedTenant(DOMAIN)
    logs = tenant.add_logs([{"date": "2026-01-02T03:04:05.678Z", "type": "s"} for _ in range(5)])
    for log in logs:
        assert re.fullmatch(r"900\d{53}", log["log_id"])
        embedded = datetime.datetime.strptime(log["log_id"][3:17], "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)
        assert 0 <= embedded.timestamp() - parse_date(log["date"]) / 1000 + 0.678 <= 4
    assert [log["log_id"] for log in logs] == sorted(log["log_id"] for log in logs)
    with pytest.raises(ValueError, match="duplicate log_id"):
        tenant.add_logs([{"date": "2026-01-02T03:04:05Z", "log_id": logs[0]["log_id"]}])


def test_rate_limit_bucket_shared_by_log_endpoints(run_sim, rsa_key):
    tenant = make_tenant(rsa_key, logs=30)
    _sim, api = run_sim([tenant], rate_limit=RateLimitPolicy.per_second(1, burst=3))
    token = api.token()
    log_id = tenant.log_ids[0]
    statuses = [
        api.get("/api/v2/logs", {"take": 1}, token=token).status_code,
        api.get("/api/v2/logs/" + log_id, token=token).status_code,
        api.get("/api/v2/logs", {"q": "type:s"}, token=token).status_code,
        api.get("/api/v2/logs/" + log_id, token=token).status_code,
    ]
    assert statuses == [200, 200, 200, 429]
    time.sleep(1.05)
    assert api.get("/api/v2/logs/" + log_id, token=token).status_code == 200
