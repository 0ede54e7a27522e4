"""Rate-limit headers and buckets; every fault kind of FaultPlan."""

import time

import auth0sim_helpers as helpers
import pytest
import requests
from auth0sim_helpers import make_tenant

from tools.auth0_sim import FaultPlan, RateLimitPolicy

# fixtures shared through auth0sim_helpers (no conftest.py here on purpose)
rsa_key = helpers.rsa_key
run_sim = helpers.run_sim

TOO_MANY = {
    "statusCode": 429,
    "error": "Too Many Requests",
    "message": "Global limit has been reached",
    "errorCode": "too_many_requests",
}
EXPIRED = {
    "statusCode": 401,
    "error": "Unauthorized",
    "message": "Expired token received for JSON Web Token validation",
    "attributes": {"error": "Expired token received for JSON Web Token validation"},
}


def rate(r):
    return (
        int(r.headers["x-ratelimit-limit"]),
        int(r.headers["x-ratelimit-remaining"]),
        int(r.headers["x-ratelimit-reset"]),
    )


@pytest.fixture
def small(run_sim, rsa_key):
    """``small(**sim_kwargs) -> (sim, api, token)`` with 40 logs."""

    def start(**kwargs):
        tenant = make_tenant(rsa_key, logs=40)
        sim, api = run_sim([tenant], **kwargs)
        return sim, api, api.token()

    return start


# -- rate limits ---------------------------------------------------------------------------------


def test_per_second_bucket_headers_429_and_refill(small):
    sim, api, token = small(rate_limit=RateLimitPolicy.per_second(2, burst=2))
    before = time.time()
    r1 = api.get("/api/v2/logs", {"take": 1}, token=token)
    r2 = api.get("/api/v2/logs", {"take": 1}, token=token)
    r3 = api.get("/api/v2/logs", {"take": 1}, token=token)
    assert [r1.status_code, r2.status_code, r3.status_code] == [200, 200, 429]
    assert rate(r1)[:2] == (2, 1)
    assert rate(r2)[:2] == (2, 0)
    assert rate(r3)[:2] == (2, 0)
    assert r3.json() == TOO_MANY
    for r in (r1, r2, r3):
        assert int(before) <= rate(r)[2] <= before + 3  # refills 2 tokens/s: full again within ~1 s
    assert sim.stats.count_429 == 1
    time.sleep(0.55)
    r4 = api.get("/api/v2/logs", {"take": 1}, token=token)
    assert r4.status_code == 200
    assert rate(r4)[1] == 0


def test_per_minute_bucket(small):
    sim, api, token = small(rate_limit=RateLimitPolicy.per_minute(100, burst=10))
    responses = [api.get("/api/v2/logs", {"take": 1}, token=token) for _ in range(11)]
    assert [r.status_code for r in responses] == [200] * 10 + [429]
    assert [rate(r)[1] for r in responses] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    limit, _remaining, reset = rate(responses[-1])
    assert limit == 10
    assert 4 <= reset - time.time() <= 8  # 10 tokens at 100/min = 6 s
    assert sim.stats.count(429) == 1
    assert sim.stats.count_200 == 11  # including the token request


def test_rate_headers_on_every_api_response(small):
    _sim, api, token = small(rate_limit=RateLimitPolicy.per_minute(100, burst=10))
    responses = [
        api.get("/api/v2/logs", {"take": 1}),  # 401
        api.get("/api/v2/logs", {"take": 1}, token=api.token("m2m-clients")),  # 403
        api.get("/api/v2/logs", {"take": 500}, token=token),  # 400
        api.get("/api/v2/logs/nope", token=token),  # 404
        api.get("/api/v2/users", token=token),  # 404, other bucket
    ]
    assert [r.status_code for r in responses] == [401, 403, 400, 404, 404]
    for r in responses:
        assert rate(r)[0] == 10
    assert [rate(r)[1] for r in responses[:4]] == [9, 8, 7, 6]
    assert rate(responses[4])[1] == 9


def test_unlimited_policy_still_sends_headers(small):
    sim, api, token = small(rate_limit=RateLimitPolicy.unlimited())
    for _ in range(40):
        r = api.get("/api/v2/logs", {"take": 1}, token=token)
        assert r.status_code == 200
    assert int(r.headers["x-ratelimit-remaining"]) > 0
    assert sim.stats.count_429 == 0


def test_token_endpoint_has_its_own_bucket(small):
    sim, api, token = small(
        rate_limit=RateLimitPolicy.per_second(1, burst=1),
        token_rate_limit=RateLimitPolicy.per_second(1, burst=3),
    )
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 429
    # the fixture already spent one token request: two more fit in the bucket
    api.token()
    r = api.post_token({"grant_type": "client_credentials"})
    assert r.status_code == 401  # no client authentication
    r = api.post_token({"grant_type": "client_credentials"})
    assert r.status_code == 429
    assert r.json() == {"error": "too_many_requests", "error_description": "Global limit has been reached"}
    assert rate(r)[:2] == (3, 0)
    assert sim.stats.token_requests == 4


def test_policy_parsing():
    assert RateLimitPolicy.parse("per_minute:100:10") == RateLimitPolicy.per_minute(100, burst=10)
    assert RateLimitPolicy.parse("per_second:2") == RateLimitPolicy.per_second(2, burst=2)
    assert RateLimitPolicy.parse("unlimited").is_unlimited
    with pytest.raises(ValueError, match="bad rate spec"):
        RateLimitPolicy.parse("per_hour:5")


# -- faults ---------------------------------------------------------------------------------------


def test_http_5xx_faults(small):
    faults = FaultPlan(seed=1)
    faults.add("http_500", on_request=2)
    faults.add("http_503", on_request=[3, 5])
    faults.add("http_502", on_request=4)
    sim, api, token = small(faults=faults, rate_limit=RateLimitPolicy.per_minute(100, burst=10))
    responses = [api.get("/api/v2/logs", {"take": 1}, token=token) for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 500, 503, 502, 503, 200]
    assert responses[1].json()["statusCode"] == 500
    assert responses[2].json()["statusCode"] == 503
    assert responses[1].headers["x-ratelimit-limit"] == "10"
    assert responses[3].headers["Content-Type"].startswith("text/html")
    assert "x-ratelimit-limit" not in responses[3].headers
    assert sim.faults.fired["http_500"] == 1
    assert sim.faults.fired["http_503"] == 2
    assert sim.faults.fired["http_502"] == 1
    assert sim.faults.requests_seen("/api/v2/logs") == 6
    assert rate(responses[5])[1] == 8  # injected errors did not spend rate-limit tokens
    assert [rec.fault for rec in sim.stats.records_for(path="/api/v2/logs")] == [
        None,
        "http_500",
        "http_503",
        "http_502",
        "http_503",
        None,
    ]


def test_every_and_times(small):
    faults = FaultPlan(seed=1)
    rule = faults.add("http_503", every=2, times=2)
    _sim, api, token = small(faults=faults)
    statuses = [api.get("/api/v2/logs", {"take": 1}, token=token).status_code for _ in range(8)]
    assert statuses == [200, 503, 200, 503, 200, 200, 200, 200]
    assert rule.fired == 2


def test_probability_is_deterministic(run_sim, rsa_key):
    patterns = []
    for _ in range(2):
        faults = FaultPlan(seed=42)
        faults.add("http_500", probability=0.5)
        tenant = make_tenant(rsa_key, logs=5)
        sim, api = run_sim([tenant], faults=faults)
        token = api.token()
        patterns.append([api.get("/api/v2/logs", {"take": 1}, token=token).status_code for _ in range(16)])
        sim.stop()
    assert patterns[0] == patterns[1]
    assert 200 in patterns[0]
    assert 500 in patterns[0]


def test_slow(small):
    faults = FaultPlan(seed=1)
    faults.add("slow", on_request=1, delay=0.4)
    sim, api, token = small(faults=faults)
    started = time.monotonic()
    r = api.get("/api/v2/logs", {"take": 2}, token=token)
    assert r.status_code == 200
    assert len(r.json()) == 2
    assert time.monotonic() - started >= 0.4
    faults.add("slow", on_request=2, delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.get("/api/v2/logs", {"take": 2}, token=token, timeout=0.3)
    assert sim.faults.fired["slow"] == 2


def test_drop(small):
    faults = FaultPlan(seed=1)
    faults.add("drop", on_request=2)
    sim, api, token = small(faults=faults)
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200  # keep-alive connection
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/api/v2/logs", {"take": 1}, token=token)
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200
    assert sim.faults.fired["drop"] == 1
    assert sim.stats.dropped == 1
    assert [rec.status for rec in sim.stats.records_for(path="/api/v2/logs")] == [200, None, 200]


def test_malformed_json(small):
    faults = FaultPlan(seed=1)
    faults.add("malformed_json", on_request=1)
    faults.add("malformed_json", on_request=2)
    sim, api, token = small(faults=faults)
    r = api.get("/api/v2/logs", {"take": 10}, token=token)
    assert r.status_code == 200
    assert r.text.startswith("[{")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        r.json()
    assert "Link" in r.headers
    r = api.get("/api/v2/logs", {"take": 10})  # 401: left alone, not counted
    assert r.status_code == 401
    assert r.json()["statusCode"] == 401
    assert sim.faults.fired["malformed_json"] == 1


def test_revoke_tokens(small):
    faults = FaultPlan(seed=1)
    faults.add("revoke_tokens", on_request=2)
    sim, api, token = small(faults=faults)
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200
    r = api.get("/api/v2/logs", {"take": 1}, token=token)
    assert r.status_code == 401
    assert r.json() == EXPIRED
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 401
    assert api.get("/api/v2/logs", {"take": 1}, token=api.token()).status_code == 200
    assert sim.faults.fired["revoke_tokens"] == 1


def test_forced_429(small):
    faults = FaultPlan(seed=1)
    faults.add("http_429", on_request=1, reset_in=3)
    _sim, api, token = small(faults=faults, rate_limit=RateLimitPolicy.per_minute(100, burst=10))
    r = api.get("/api/v2/logs", {"take": 1}, token=token)
    assert r.status_code == 429
    assert r.json() == TOO_MANY
    limit, remaining, reset = rate(r)
    assert (limit, remaining) == (10, 0)
    assert 2 <= reset - time.time() <= 4
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200


def test_fault_on_token_path(small):
    faults = FaultPlan(seed=1)
    sim, api, token = small(faults=faults)
    assert faults.requests_seen("/oauth/token") == 1  # the fixture's token request
    faults.add("http_503", path="/oauth/token", on_request=2)
    faults.add("drop", path="/oauth/token", on_request=3)
    r = api.post_token({"grant_type": "client_credentials"})
    assert r.status_code == 503
    assert r.json()["error"] == "server_error"
    with pytest.raises(requests.exceptions.ConnectionError):
        api.token()
    api.token()
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200
    assert sim.faults.fired == {
        "http_500": 0,
        "http_502": 0,
        "http_503": 1,
        "slow": 0,
        "drop": 1,
        "malformed_json": 0,
        "revoke_tokens": 0,
        "http_429": 0,
    }


def test_fault_plan_validation():
    faults = FaultPlan(seed=1)
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.add("explode")
    with pytest.raises(ValueError, match="only one of"):
        faults.add("drop", on_request=1, every=2)
    with pytest.raises(ValueError, match="1-based"):
        faults.add("drop", on_request=0)
