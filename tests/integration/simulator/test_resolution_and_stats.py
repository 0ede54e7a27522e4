"""Domain resolution (this process and child processes), TLS, and what sim.stats records."""

import dataclasses
import json
import os
import socket
import ssl
import subprocess
import sys
import textwrap

import auth0sim_helpers as helpers
import pytest
import requests
from auth0sim_helpers import ASSERTION_TYPE, AUDIENCE, DOMAIN, SECRET, make_assertion, make_tenant

from tools.auth0_sim import Auth0Simulator, SimulatedTenant

# fixtures shared through auth0sim_helpers (no conftest.py here on purpose)
rsa_key = helpers.rsa_key
run_sim = helpers.run_sim

CHILD_SCRIPT = textwrap.dedent(
    """
    import json, os, socket, sys
    import requests
    out = {"resolved": socket.getaddrinfo("acme.us.auth0.com", 443)[0][4][:2],
           "marker": os.environ.get("CHAINED_SITECUSTOMIZE_RAN")}
    session = requests.Session()
    session.trust_env = False
    ca = os.environ["AUTH0_SIM_CA_BUNDLE"]
    token = session.post("https://acme.us.auth0.com/oauth/token", verify=ca, timeout=10, data={
        "grant_type": "client_credentials", "client_id": "m2m-abc", "client_secret": sys.argv[1],
        "audience": "https://acme.us.auth0.com/api/v2/"}).json()["access_token"]
    r = session.get("https://acme.us.auth0.com/api/v2/logs", params={"take": 7}, verify=ca, timeout=10,
                    headers={"Authorization": "Bearer " + token})
    out["status"] = r.status_code
    out["count"] = len(r.json())
    print(json.dumps(out))
    """
)


def test_resolve_domains_patches_only_tenant_domains(rsa_key):
    tenant = make_tenant(rsa_key)
    original = socket.getaddrinfo
    with Auth0Simulator([tenant]) as sim:
        with sim.resolve_domains():
            for port in (443, 80, 8089):
                infos = socket.getaddrinfo(DOMAIN, port)
                assert infos
                assert {info[4][:2] for info in infos} == {("127.0.0.1", sim.port)}
            assert socket.getaddrinfo(DOMAIN.upper() + ".", 443, type=socket.SOCK_STREAM)[0][4][:2] == (
                "127.0.0.1",
                sim.port,
            )
            assert socket.getaddrinfo("127.0.0.1", 8080)[0][4][:2] == ("127.0.0.1", 8080)
            with pytest.raises(socket.gaierror):
                socket.getaddrinfo("other.us.auth0.com.invalid", 443)
        assert socket.getaddrinfo is original


def test_certificate_covers_every_domain_localhost_and_ip(run_sim, rsa_key):
    first = make_tenant(rsa_key)
    second = SimulatedTenant("beta.eu.auth0.com")
    sim, _api = run_sim([first, second])
    context = ssl.create_default_context(cafile=sim.ca_bundle_path)
    for name in ("acme.us.auth0.com", "beta.eu.auth0.com", "localhost"):
        address = (name, 443) if name != "localhost" else ("127.0.0.1", sim.port)
        with socket.create_connection(address) as raw, context.wrap_socket(raw, server_hostname=name) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    r = requests.get("https://127.0.0.1:%d/api/v2/logs" % sim.port, verify=sim.ca_bundle_path, timeout=10)
    assert r.status_code == 404  # the IP SAN verifies; with two tenants the Host 127.0.0.1 names none of them
    assert "Unknown tenant" in r.json()["message"]
    with pytest.raises(requests.exceptions.SSLError):
        requests.get("https://acme.us.auth0.com/api/v2/logs", verify=True, timeout=10)


def test_child_env_resolves_in_a_subprocess(run_sim, rsa_key, tmp_path):
    tenant = make_tenant(rsa_key, logs=30)
    sim, _api = run_sim([tenant])
    chained = tmp_path / "site"
    chained.mkdir()
    (chained / "sitecustomize.py").write_text("import os\nos.environ['CHAINED_SITECUSTOMIZE_RAN'] = 'yes'\n")
    env = {**os.environ, **sim.child_env()}
    env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + str(chained)
    assert env["AUTH0_SIM_RESOLVE"] == "acme.us.auth0.com=127.0.0.1:%d" % sim.port
    result = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT, SECRET], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"resolved": ["127.0.0.1", sim.port], "marker": "yes", "status": 200, "count": 7}
    # without AUTH0_SIM_RESOLVE nothing is patched but the chained sitecustomize still runs
    env.pop("AUTH0_SIM_RESOLVE")
    probe = "import os, socket; print(socket.getaddrinfo.__module__, os.environ.get('CHAINED_SITECUSTOMIZE_RAN'))"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.split() == ["socket", "yes"], result.stderr


def test_child_env_merges_with_a_base_environment(run_sim, rsa_key):
    sim, _api = run_sim([make_tenant(rsa_key)])
    env = sim.child_env({"PYTHONPATH": "/opt/x", "NO_PROXY": "corp.example", "KEEP": "1"})
    assert env["KEEP"] == "1"
    assert env["PYTHONPATH"].split(os.pathsep)[1:] == ["/opt/x"]
    assert env["PYTHONPATH"].split(os.pathsep)[0].endswith(os.path.join("auth0_sim", "resolver_site"))
    assert env["NO_PROXY"].split(",")[:2] == ["corp.example", DOMAIN]
    assert env["AUTH0_SIM_CA_BUNDLE"] == sim.ca_bundle_path


def test_stats_never_keep_secrets(run_sim, rsa_key):
    tenant = make_tenant(rsa_key, logs=20)
    sim, api = run_sim([tenant])
    assertion = make_assertion(rsa_key, "m2m-jwt")
    r = api.post_token(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "audience": AUDIENCE,
            "scope": "read:logs",
        }
    )
    jwt_token = r.json()["access_token"]
    secret_token = api.token()
    api.post_token({"grant_type": "client_credentials", "client_id": "m2m-abc", "client_secret": "wrong-" + SECRET})
    api.get("/api/v2/logs", {"take": 3}, token=jwt_token)
    api.get("/api/v2/logs", {"take": 3, "client_secret": SECRET}, token=secret_token)

    records = sim.stats.records
    dumped = repr(records) + json.dumps([dataclasses.asdict(rec) for rec in records], default=str)
    for secret in (SECRET, assertion, assertion.split(".")[2], jwt_token, secret_token):
        assert secret not in dumped
    token_records = sim.stats.records_for(path="/oauth/token")
    assert [rec.status for rec in token_records] == [200, 200, 401]
    jwt_request = token_records[0].token_request
    assert jwt_request["grant_type"] == "client_credentials"
    assert jwt_request["client_id"] == "m2m-jwt"
    assert jwt_request["client_assertion_type"] == ASSERTION_TYPE
    assert jwt_request["audience"] == AUDIENCE
    assert jwt_request["scope"] == "read:logs"
    assert jwt_request["granted_scope"] == "read:logs"
    assert jwt_request["auth_method"] == "private_key_jwt"
    assert token_records[1].token_request["auth_method"] == "client_secret_post"
    assert token_records[2].token_request["outcome"] == "access_denied"
    assert token_records[2].error_code == "access_denied"
    log_records = sim.stats.records_for(path="/api/v2/logs")
    assert log_records[0].headers["Authorization"] == "Bearer [REDACTED]"
    assert log_records[0].query == {"take": "3"}
    assert log_records[0].client_id == "m2m-jwt"
    assert log_records[1].query["client_secret"] == "[REDACTED]"
    assert "x-ratelimit-remaining" in log_records[0].response_headers
    assert "Link" in log_records[0].response_headers
    stats = sim.stats
    assert stats.requests == 5
    assert stats.token_requests == 3
    assert stats.tokens_issued == 2
    assert stats.by_path == {"/oauth/token": 3, "/api/v2/logs": 2}
    assert stats.status_counts == {200: 4, 401: 1}
    assert stats.count_401 == 1
    sim.reset_stats()
    assert sim.stats.requests == 0
    assert sim.stats.records == []
    assert sim.stats.count_200 == 0


def test_stop_closes_keep_alive_connections(rsa_key):
    tenant = make_tenant(rsa_key, logs=5)
    sim = Auth0Simulator([tenant]).start()
    session = requests.Session()
    session.trust_env = False
    with sim.resolve_domains():
        r = session.get("https://%s/api/v2/logs" % DOMAIN, verify=sim.ca_bundle_path, timeout=5)
        assert r.status_code == 401
        sim.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get("https://%s/api/v2/logs" % DOMAIN, verify=sim.ca_bundle_path, timeout=5)
    assert not sim.running
    sim.stop()  # idempotent


def test_plain_http_mode(run_sim, rsa_key):
    tenant = make_tenant(rsa_key, logs=15)
    sim, api = run_sim([tenant], tls=False)
    assert sim.ca_bundle_path is None
    assert api.base == "http://%s" % DOMAIN
    r = api.get("/api/v2/logs", {"take": 10}, token=api.token())
    assert r.status_code == 200
    assert r.links["next"]["url"].startswith("http://%s/api/v2/logs?from=" % DOMAIN)
    assert len(api.get(r.links["next"]["url"], token=api.token()).json()) == 5
