"""Fixtures that run the real logs-input code path against the Auth0 tenant simulator."""

import io
import logging
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from splunklib.modularinput import EventWriter

from tools.auth0_sim import Auth0Simulator, FaultPlan, RateLimitPolicy, SimulatedTenant, scenarios
from tools.modinput_stream import parse_events

DOMAIN = "acme.us.auth0.com"
CLIENT_ID = "m2mSplunkCollector0000000000001"
CLIENT_SECRET = "sim-Secret-0f9c3e1d7a5b4c2e8f6a9d1c3b5e7f9a"
JWT_CLIENT_ID = "m2mSplunkCollectorJwt000000000002"


@pytest.fixture(scope="session")
def rsa_private_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(autouse=True)
def solnlib_logs(tmp_path):
    from solnlib import log as solnlib_log

    solnlib_log.Logs.set_context(directory=str(tmp_path / "logs"), namespace="ta_auth0_test")
    return tmp_path / "logs"


def make_tenant(count=2000, days=2, scopes=("read:logs", "read:logs_users"), retention_days=30, token_lifetime=86400,
                public_key=None, seed=1):  # fmt: skip
    tenant = SimulatedTenant(domain=DOMAIN, retention_days=retention_days, token_lifetime=token_lifetime)
    tenant.register_client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, scopes=list(scopes))
    if public_key:
        tenant.register_client(client_id=JWT_CLIENT_ID, public_key_pem=public_key, scopes=list(scopes))
    if count:
        now = datetime.now(timezone.utc)
        scenarios.generate_traffic(tenant, count=count, start=now - timedelta(days=days), end=now, seed=seed)
    return tenant


class Harness:
    """A simulator plus everything one input run needs; ``run()`` is one interval."""

    def __init__(self, sim, tenant, account_fields=None, settings=None, params=None):
        from ta_auth0.checkpoint import MemoryCheckpointStore

        self.sim = sim
        self.tenant = tenant
        self.account_fields = account_fields or {"domain": DOMAIN, "client_id": CLIENT_ID,
                                                 "client_secret": CLIENT_SECRET}  # fmt: skip
        self.settings = {"ca_bundle_path": sim.ca_bundle_path, "rate_limit_share": "100", **(settings or {})}
        self.params = {"start_from": "earliest", "index": "auth0", **(params or {})}
        self.store = MemoryCheckpointStore()
        self.output = io.StringIO()
        self.logger = logging.getLogger("ta_auth0.test.input")
        self.summaries = []

    def run(self, **client_overrides):
        from ta_auth0.client import Auth0Client
        from ta_auth0.config import account_from, client_settings_from
        from ta_auth0.logs_input import run_logs_input

        account = account_from("acme", self.account_fields)
        settings = client_settings_from(self.settings)
        for key, value in client_overrides.items():
            setattr(settings, key, value)
        client = Auth0Client(account.domain, account.credentials, settings, logger=self.logger)
        self.client = client
        summary = run_logs_input("auth0_logs://acme", self.params, EventWriter(output=self.output), account, settings,
                                 self.store, self.logger, client=client)  # fmt: skip
        self.summaries.append(summary)
        return summary

    def events(self):
        events, truncated = parse_events(self.output.getvalue())
        assert not truncated
        return events

    def log_ids(self):
        import json

        return [json.loads(e["data"])["log_id"] for e in self.events()]


@pytest.fixture
def harness_for():
    sims = []

    def start(tenant, rate_limit=None, faults=None, **kwargs):
        sim = Auth0Simulator(
            [tenant], rate_limit=rate_limit or RateLimitPolicy.unlimited(), faults=faults or FaultPlan()
        )
        sim.start()
        resolver = sim.resolve_domains()
        resolver.__enter__()
        sims.append((sim, resolver))
        return Harness(sim, tenant, **kwargs)

    yield start
    for sim, resolver in sims:
        resolver.__exit__(None, None, None)
        sim.stop()
