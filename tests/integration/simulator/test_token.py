"""POST /oauth/token: client secret and Private Key JWT, with every documented error."""

import base64
import json
import time

import auth0sim_helpers as helpers
import pytest
from auth0sim_helpers import ASSERTION_TYPE, AUDIENCE, DOMAIN, SECRET, make_assertion, make_tenant

# fixtures shared through auth0sim_helpers (no conftest.py here on purpose)
rsa_key = helpers.rsa_key
other_rsa_key = helpers.other_rsa_key
run_sim = helpers.run_sim


@pytest.fixture
def api(run_sim, rsa_key):
    tenant = make_tenant(rsa_key, token_lifetime=7200)
    _sim, api = run_sim([tenant])
    return api


def secret_form(**overrides):
    form = {"grant_type": "client_credentials", "client_id": "m2m-abc", "client_secret": SECRET, "audience": AUDIENCE}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def jwt_form(assertion, **overrides):
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "audience": AUDIENCE,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_client_secret_form(api):
    r = api.post_token(secret_form())
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["expires_in"] == 7200
    assert body["scope"] == "read:logs"
    assert body["token_type"] == "Bearer"
    assert len(body["access_token"]) > 40
    assert r.headers["Cache-Control"] == "no-store"
    assert api.get("/api/v2/logs", {"take": 1}, token=body["access_token"]).status_code == 200


def test_client_secret_json_body_and_basic_auth(api):
    r = api.post_token(json_body=secret_form())
    assert r.status_code == 200, r.text
    basic = base64.b64encode(("m2m-abc:" + SECRET).encode()).decode()
    r = api.post_token(
        {"grant_type": "client_credentials", "audience": AUDIENCE}, headers={"Authorization": "Basic " + basic}
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_secret": "wrong"},
        {"client_id": "nobody"},
        {"client_id": "m2m-jwt"},  # a Private Key JWT client has no secret
        {"client_id": None},
    ],
)
def test_client_secret_unauthorized(api, overrides):
    r = api.post_token(secret_form(**overrides))
    assert r.status_code == 401
    assert r.json() == {"error": "access_denied", "error_description": "Unauthorized"}


@pytest.mark.parametrize(
    "audience",
    ["https://other.us.auth0.com/api/v2/", "https://%s/api/v2" % DOMAIN, "https://api.acme.example.com/"],
)
def test_wrong_audience(api, audience):
    r = api.post_token(secret_form(audience=audience))
    assert r.status_code == 403
    assert r.json() == {
        "error": "access_denied",
        "error_description": "Service not enabled within domain: %s" % audience,
    }


def test_missing_audience(api):
    r = api.post_token(secret_form(audience=None))
    assert r.status_code == 403
    assert r.json()["error"] == "access_denied"
    assert "audience" in r.json()["error_description"]


def test_grant_type_errors(api):
    r = api.post_token(secret_form(grant_type="password"))
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"
    r = api.post_token(secret_form(grant_type=None))
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


def test_scopes(api):
    r = api.post_token(secret_form(scope="read:logs"))
    assert r.status_code == 200
    assert r.json()["scope"] == "read:logs"
    r = api.post_token(secret_form(scope="read:logs read:users"))
    assert r.status_code == 403
    assert r.json()["error_description"] == "Client has not been granted scopes: read:users"
    r = api.post_token(secret_form(client_id="m2m-nogrant"))
    assert r.status_code == 403
    assert "client-grant" in r.json()["error_description"]


@pytest.mark.parametrize("alg", ["RS256", "RS384", "PS256"])
def test_private_key_jwt(api, rsa_key, alg):
    r = api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt", alg=alg)))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read:logs"
    assert api.get("/api/v2/logs", {"take": 1}, token=body["access_token"]).status_code == 200


def test_private_key_jwt_with_kid(api, rsa_key):
    assert api.post_token(jwt_form(make_assertion(rsa_key, "m2m-kid", kid="k1"))).status_code == 200
    for kid in ("k2", None):
        r = api.post_token(jwt_form(make_assertion(rsa_key, "m2m-kid", kid=kid)))
        assert r.status_code == 401
        assert "kid" in r.json()["error_description"]
    # a client registered without kid accepts any kid
    assert api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt", kid="whatever"))).status_code == 200


def test_private_key_jwt_client_id_field_must_match(api, rsa_key):
    assertion = make_assertion(rsa_key, "m2m-jwt")
    assert api.post_token(jwt_form(assertion, client_id="m2m-jwt")).status_code == 200
    r = api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt"), client_id="m2m-kid"))
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("case", "kwargs", "fragment"),
    [
        ("iss != sub", {"sub": "someone-else"}, "iss and sub"),
        ("aud without trailing slash", {"aud": "https://%s" % DOMAIN}, "aud"),
        ("aud = token endpoint", {"aud": "https://%s/oauth/token" % DOMAIN}, "aud"),
        ("aud = management api", {"aud": AUDIENCE}, "aud"),
        ("exp missing", {"drop": ("exp",)}, "exp"),
        ("exp too far", {"exp_in": 600, "drop": ("iat",)}, "exp"),
        ("expired", {"exp_in": -60, "iat_offset": -120}, "expired"),
        ("lifetime too long", {"exp_in": 200, "iat_offset": -200}, "lifetime"),
        ("iat in the future", {"exp_in": 120, "iat_offset": 60}, "iat"),
        ("jti missing", {"drop": ("jti",)}, "jti"),
        ("jti too long", {"jti": "j" * 65}, "jti"),
        ("unsupported alg", {"alg": "HS256"}, "alg"),
        ("too large", {"extra": {"pad": "x" * 1800}}, "2048"),
    ],
)
def test_private_key_jwt_rejected(api, rsa_key, case, kwargs, fragment):
    r = api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt", **kwargs)))
    assert r.status_code == 401, (case, r.text)
    assert r.json()["error"] == "access_denied"
    assert fragment in r.json()["error_description"], (case, r.json())


def test_private_key_jwt_skew_tolerated(api, rsa_key):
    # expired 5 s ago and iat 5 s in the future are within the 10 s skew
    assert api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt", exp_in=-5, iat_offset=-60))).status_code == 200
    assert api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt", exp_in=60, iat_offset=5))).status_code == 200


def test_private_key_jwt_bad_signature_and_unknown_client(api, rsa_key, other_rsa_key):
    r = api.post_token(jwt_form(make_assertion(other_rsa_key, "m2m-jwt")))
    assert r.status_code == 401
    assert "signature" in r.json()["error_description"]
    r = api.post_token(jwt_form(make_assertion(rsa_key, "nobody")))
    assert r.status_code == 401
    r = api.post_token(jwt_form(make_assertion(rsa_key, "m2m-abc")))  # secret client: no key registered
    assert r.status_code == 401
    r = api.post_token(jwt_form("not.a-jwt"))
    assert r.status_code == 401


def test_private_key_jwt_jti_reuse(api, rsa_key):
    assertion = make_assertion(rsa_key, "m2m-jwt", jti="fixed-jti-1")
    assert api.post_token(jwt_form(assertion)).status_code == 200
    r = api.post_token(jwt_form(assertion))
    assert r.status_code == 401
    assert "already been used" in r.json()["error_description"]


def test_secret_and_assertion_together(api, rsa_key):
    form = jwt_form(make_assertion(rsa_key, "m2m-jwt"), client_id="m2m-jwt", client_secret=SECRET)
    r = api.post_token(form)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


def test_wrong_assertion_type(api, rsa_key):
    r = api.post_token(jwt_form(make_assertion(rsa_key, "m2m-jwt"), client_assertion_type="jwt"))
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


def test_token_expiry(run_sim, rsa_key):
    tenant = make_tenant(rsa_key, token_lifetime=1, logs=10)
    _sim, api = run_sim([tenant])
    r = api.post_token(secret_form())
    assert r.json()["expires_in"] == 1
    token = r.json()["access_token"]
    assert api.get("/api/v2/logs", {"take": 1}, token=token).status_code == 200
    time.sleep(1.1)
    r = api.get("/api/v2/logs", {"take": 1}, token=token)
    assert r.status_code == 401
    assert r.json() == {
        "statusCode": 401,
        "error": "Unauthorized",
        "message": "Expired token received for JSON Web Token validation",
        "attributes": {"error": "Expired token received for JSON Web Token validation"},
    }


def test_token_looks_like_a_jwt(api):
    token = api.post_token(secret_form()).json()["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == "m2m-abc@clients"
    assert claims["scope"] == "read:logs"
