"""The UCC entry point (``stream_events``) wires Splunk's config, KV store and logging to a run,
and one failing input neither stops the others nor loses its checkpoint."""

import io
from types import SimpleNamespace

from sim_harness import CLIENT_ID, CLIENT_SECRET, DOMAIN, make_tenant
from splunklib.modularinput import EventWriter

from ta_auth0 import logs_input, modinput
from ta_auth0.checkpoint import MemoryCheckpointStore
from ta_auth0.config import account_from, client_settings_from
from ta_auth0.errors import ConfigurationError
from tools.modinput_stream import parse_events


def test_stream_events_runs_each_input_with_its_account(harness_for, monkeypatch):
    harness = harness_for(make_tenant(count=250))
    stores = {}
    seen = {}

    def load_account(session_key, name):
        seen.setdefault("session_keys", set()).add(session_key)
        if name == "missing":
            raise ConfigurationError("Account 'missing' does not exist (Configuration > Tenants)")
        return account_from(name, {"domain": DOMAIN, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})

    def kv_store(key, session_key, app, collection):
        seen["collection"] = (app, collection)
        return stores.setdefault(key, MemoryCheckpointStore())

    monkeypatch.setattr(logs_input, "load_account", load_account)
    monkeypatch.setattr(logs_input, "load_settings", lambda key: client_settings_from(harness.settings))
    monkeypatch.setattr("ta_auth0.checkpoint.KVStoreCheckpointStore", kv_store)
    monkeypatch.setattr(modinput, "input_logger", lambda kind, name, key: harness.logger)
    out = io.StringIO()
    inputs = SimpleNamespace(
        metadata={"session_key": "sk-123", "server_uri": "https://127.0.0.1:8089"},
        inputs={
            "auth0_logs://broken": {"account": "missing", "index": "auth0", "interval": "60"},
            "auth0_logs://acme": {"account": "acme", "index": "auth0", "interval": "60", "start_from": "earliest"},
        },
    )
    logs_input.stream_events(inputs, EventWriter(output=out))
    events, truncated = parse_events(out.getvalue())
    assert not truncated
    assert len(events) == 250
    assert seen["collection"] == ("TA-auth0", "ta_auth0_checkpoints")
    assert seen["session_keys"] == {"sk-123"}
    assert stores["acme"].state["log_id"] == harness.tenant.visible_logs()[-1]["log_id"]
    assert "broken" not in stores


def test_validate_input_names_the_bad_field():
    import pytest

    with pytest.raises(ConfigurationError, match="Days back"):
        logs_input.validate_input(SimpleNamespace(parameters={"days_back": "0"}))
