"""Generated traffic, injected attacks, the demo tenant and the command line."""

import calendar
import collections
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time

import auth0sim_helpers as helpers
import pytest
import requests
from auth0sim_helpers import ROOT

from tools.auth0_sim import SimulatedTenant, scenarios
from tools.auth0_sim.resolver_site import auth0_sim_resolver
from tools.auth0_sim.timeutil import parse_date

# fixtures shared through auth0sim_helpers (no conftest.py here on purpose)
run_sim = helpers.run_sim

START = datetime.datetime(2026, 3, 2, 0, 0, tzinfo=datetime.timezone.utc)
END = START + datetime.timedelta(days=2)
LOGIN_TYPES = {"s", "f", "fp", "fu", "ss", "pwd_leak", "limit_wc"}
REQUIRED = (
    "date",
    "type",
    "description",
    "client_id",
    "client_name",
    "ip",
    "user_agent",
    "hostname",
    "user_id",
    "user_name",
    "connection_id",
    "details",
    "tenant_name",
    "isMobile",
    "$event_schema",
    "environment_name",
    "log_id",
    "_id",
)


@pytest.fixture(scope="module")
def traffic():
    tenant = SimulatedTenant("acme.us.auth0.com", retention_days=None)
    started = time.perf_counter()
    logs = scenarios.generate_traffic(tenant, count=20000, start=START, end=END, seed=1)
    elapsed = time.perf_counter() - started
    return tenant, logs, elapsed


def test_generate_traffic_is_fast_and_complete(traffic):
    tenant, logs, elapsed = traffic
    assert elapsed < 2.0
    assert len(logs) == len(tenant) == 20000
    stored = tenant.logs
    assert [log["log_id"] for log in stored] == sorted(log["log_id"] for log in logs)


def test_log_shape(traffic):
    _tenant, logs, _ = traffic
    date_re = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    start_ms, end_ms = START.timestamp() * 1000, END.timestamp() * 1000
    for log in logs:
        missing = [field for field in REQUIRED if field not in log]
        assert not missing, (log["type"], missing)
        assert date_re.fullmatch(log["date"])
        assert start_ms - 5000 <= parse_date(log["date"]) < end_ms
        assert re.fullmatch(r"900\d{53}", log["log_id"])
        assert log["_id"] == log["log_id"]
        assert log["hostname"] == "acme.us.auth0.com"
        assert isinstance(log["isMobile"], bool)
        assert ("security_context" in log) == (log["type"] in LOGIN_TYPES | {"seacft", "sertft"})
        if "security_context" in log:
            assert set(log["security_context"]) == {"ja3", "ja4"}
        if log["type"] in ("s", "f", "fp", "ss"):
            assert {"connection", "strategy", "strategy_type"} <= set(log)
        # the log_id embeds the indexing time: the date plus 0..4 seconds
        embedded = calendar.timegm(time.strptime(log["log_id"][3:17], "%Y%m%d%H%M%S"))
        assert int(parse_date(log["date"]) // 1000) <= embedded <= parse_date(log["date"]) / 1000 + 4


def test_traffic_mix(traffic):
    _tenant, logs, _ = traffic
    counts = collections.Counter(log["type"] for log in logs)
    assert counts.most_common(1)[0][0] == "s"
    assert counts["s"] > 0.35 * len(logs)
    for typ in ("f", "fp", "fu", "ss", "ssa", "seacft", "seccft", "sertft", "gd_send_pn", "gd_auth_succeed"):
        assert counts[typ] > 50, typ
    for typ in ("gd_enrollment_complete", "slo", "scp", "sce", "sapi", "mgmt_api_read", "limit_wc", "pwd_leak"):
        assert counts[typ] > 5, typ
    assert counts["api_limit"] > 0
    descriptions = {log["description"] for log in logs if log["type"] == "sapi"}
    assert {"Update a client", "Create a client", "Update client grant", "Update tenant settings"} <= descriptions
    assert "Dynamic client registration" not in descriptions
    ips = [log["ip"] for log in logs]
    assert 0.05 < sum(":" in ip for ip in ips) / len(ips) < 0.3
    assert any(isinstance(log.get("scope"), list) for log in logs)  # failures carry scope arrays
    assert any(isinstance(log.get("scope"), str) for log in logs)


def test_small_date_inversions(traffic):
    tenant, _logs, _ = traffic
    stored = tenant.logs
    inversions = sum(1 for prev, cur in zip(stored, stored[1:]) if parse_date(cur["date"]) < parse_date(prev["date"]))
    assert 0.004 * len(stored) < inversions < 0.02 * len(stored)


def test_generation_is_deterministic(traffic):
    _tenant, _logs, _ = traffic
    again = SimulatedTenant("acme.us.auth0.com", retention_days=None)
    other = scenarios.generate_traffic(again, count=300, start=START, end=END, seed=1)
    first = SimulatedTenant("acme.us.auth0.com", retention_days=None)
    assert scenarios.generate_traffic(first, count=300, start=START, end=END, seed=1) == other
    different = SimulatedTenant("acme.us.auth0.com", retention_days=None)
    assert scenarios.generate_traffic(different, count=300, start=START, end=END, seed=2) != other
    assert scenarios.generate_traffic(SimulatedTenant("x.us.auth0.com"), count=10, return_logs=False) == 10


def test_add_attacks():
    tenant = SimulatedTenant("acme.us.auth0.com", retention_days=None)
    scenarios.generate_traffic(tenant, count=2000, start=START, end=END, seed=3, return_logs=False)
    at = START + datetime.timedelta(hours=20)
    injected = scenarios.add_attacks(tenant, at=at, seed=3)
    by_id = {log["log_id"]: log for log in tenant.logs}
    assert set(injected["all_log_ids"]) <= set(by_id)
    catalog = tenant.catalog

    dcr = [by_id[i] for i in injected["dcr"]["log_ids"]]
    assert len(dcr) >= 20
    dates = sorted(parse_date(log["date"]) for log in dcr)
    assert dates[-1] - dates[0] <= 30 * 60 * 1000
    assert all(log["type"] == "sapi" and log["description"] == "Dynamic client registration" for log in dcr)
    created = [log["details"]["response"]["body"]["client_id"] for log in dcr]
    assert created == injected["dcr"]["client_ids"]
    assert all(cid.startswith("tpc_") for cid in created)
    assert len(set(created)) == len(created)

    reads = [by_id[i] for i in injected["secret_reads"]["log_ids"]]
    assert reads
    for log in reads:
        assert log["type"] == "mgmt_api_read"
        assert log["description"] == "Get client by ID"
        assert log["details"]["accessedSecrets"] == ["client_secret"]
        assert log["details"]["response"]["body"]["client_id"] in catalog["critical_client_ids"]
        assert log["client_name"] == ""
        assert log["client_id"] == catalog["global_client_id"]
        assert "security_context" not in log

    (explorer,) = [by_id[i] for i in injected["api_explorer"]["log_ids"]]
    assert explorer["type"] == "seccft"
    assert explorer["client_name"] == "API Explorer Application"
    assert explorer["client_id"] == injected["api_explorer"]["client_id"] == catalog["api_explorer_client_id"]
    # nothing in the normal traffic looks like these attacks
    normal = [log for log in tenant.logs if log["log_id"] not in set(injected["all_log_ids"])]
    assert not [log for log in normal if log["type"] == "seccft" and log["client_id"] == explorer["client_id"]]
    assert not [log for log in normal if log["description"] == "Dynamic client registration"]
    critical = set(catalog["critical_client_ids"])
    assert not [
        log
        for log in normal
        if log["type"] == "mgmt_api_read" and log["details"]["response"]["body"]["client_id"] in critical
    ]


def test_demo_tenant_end_to_end(run_sim):
    tenant, creds = scenarios.demo_tenant()
    assert set(creds) >= {"domain", "client_id", "client_secret"}
    assert 2000 <= len(tenant) <= 10000
    dates = sorted(parse_date(log["date"]) for log in tenant.logs)
    assert 1.5 * 86400000 <= dates[-1] - dates[0] <= 2.1 * 86400000
    sim, api = run_sim([tenant])
    token = api.token(creds["client_id"], creds["client_secret"])
    r = api.get(
        "/api/v2/logs",
        {"q": 'type:sapi AND description:"Dynamic client registration"', "include_totals": "true"},
        token=token,
    )
    assert r.json()["total"] >= 20
    again, creds_again = scenarios.demo_tenant()
    assert creds_again == creds
    assert [log["type"] for log in again.logs] == [log["type"] for log in tenant.logs]
    assert sim.stats.tokens_issued == 1


def test_cli_serve(tmp_path):
    state_file = tmp_path / "state.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.auth0_sim",
            "serve",
            "--scenario",
            "demo",
            "--logs",
            "400",
            "--state-file",
            str(state_file),
            "--rate",
            "per_second:20:20",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not state_file.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "state file never appeared"
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        assert state["resolve"] == "acme.us.auth0.com=127.0.0.1:%d" % state["port"]
        assert os.path.exists(state["ca_bundle_path"])
        (creds,) = state["tenants"]
        token = auth0_sim_resolver.install(auth0_sim_resolver.parse_spec(state["resolve"]))
        try:
            session = requests.Session()
            session.trust_env = False
            r = session.post(
                "https://acme.us.auth0.com/oauth/token",
                verify=state["ca_bundle_path"],
                timeout=10,
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "audience": "https://acme.us.auth0.com/api/v2/",
                },
            )
            assert r.status_code == 200
            r = session.get(
                "https://acme.us.auth0.com/api/v2/logs",
                params={"take": 100},
                headers={"Authorization": "Bearer " + r.json()["access_token"]},
                verify=state["ca_bundle_path"],
                timeout=10,
            )
            assert r.status_code == 200
            assert len(r.json()) == 100
            assert r.headers["x-ratelimit-limit"] == "20"
            session.close()
        finally:
            auth0_sim_resolver.uninstall(token)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert not state_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
