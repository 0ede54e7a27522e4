"""A full run with each authentication method, every log line captured: no secret, private key,
access token or client assertion may appear in logs, events, checkpoint or request records."""

import json
import logging

import pytest
from sim_harness import CLIENT_ID, CLIENT_SECRET, DOMAIN, JWT_CLIENT_ID, make_tenant

from tools.auth0_sim import FaultPlan


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.mark.parametrize("method", ["client_secret", "private_key_jwt"])
def test_no_secret_anywhere(harness_for, rsa_private_pem, solnlib_logs, method):
    private, public = rsa_private_pem
    tenant = make_tenant(count=700, public_key=public, token_lifetime=2)
    faults = FaultPlan(seed=3)
    faults.add("revoke_tokens", on_request=[3])
    faults.add("http_500", on_request=[5])
    if method == "private_key_jwt":
        fields = {"domain": DOMAIN, "client_id": JWT_CLIENT_ID, "auth_method": method, "private_key": private}
    else:
        fields = {"domain": DOMAIN, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    harness = harness_for(tenant, faults=faults, account_fields=fields)
    capture = _Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    harness.logger.setLevel(logging.DEBUG)
    try:
        harness.run(max_backoff=0.1)
        harness.run(max_backoff=0.1)
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
    assert len(harness.log_ids()) == 700
    tokens = list(tenant._tokens)
    assert tokens
    solnlib_files = "".join(p.read_text() for p in solnlib_logs.rglob("*") if p.is_file())
    haystacks = {
        "log lines": "\n".join(capture.lines) + solnlib_files,
        "events": harness.output.getvalue(),
        "checkpoint": json.dumps(harness.store.state),
        "request records": repr(harness.sim.stats.records),
    }
    assert capture.lines  # the capture saw the run
    needles = [CLIENT_SECRET, *tokens]
    needles += [line for line in private.splitlines() if len(line) > 20]
    for where, text in haystacks.items():
        for needle in needles:
            assert needle not in text, f"a secret reached the {where}"
        assert "eyJ" not in text or where == "events", f"something JWT-shaped reached the {where}"
        assert "client_assertion=" not in text
