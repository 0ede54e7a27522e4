"""Runs the real inventory input (client, collector, findings, event writer) against the tenant simulator."""

import contextlib
import io
import json
import logging

from splunklib.modularinput import EventWriter

from tools.auth0_sim import Auth0Simulator, FaultPlan, RateLimitPolicy, SimulatedTenant, scenarios
from tools.auth0_sim import inventory as sim_inventory
from tools.modinput_stream import parse_events

DOMAIN = "acme.us.auth0.com"
SECRET = "sim-Inventory-Secret-9d1c3b5e7f9a0f9c3e1d7a5b4c2e8f6a"
READ_SCOPES = list(scenarios.SECRET_FREE_READ_SCOPES)


def make_tenant(scopes=READ_SCOPES, attacks=True, seed=7):
    """A tenant with the scenario catalogue (and its DCR burst) and an M2M client for the add-on."""
    tenant = SimulatedTenant(DOMAIN, seed=seed)
    catalog = scenarios.ensure_catalog(tenant, seed)
    if attacks:
        scenarios.add_attacks(tenant, seed=seed)
    collector = catalog["by_name"]["Splunk Log Collector"]
    tenant.register_client(collector["client_id"], client_secret=SECRET, scopes=list(scopes), name=collector["name"])
    sim_inventory.ensure_inventory(tenant)
    return tenant, collector["client_id"]


class Run:
    def __init__(self, result, output, records):
        self.result = result
        self.output = output
        self.records = records
        self.events = [json.loads(e["data"]) for e in parse_events(output)[0]]
        self.xml_events = parse_events(output)[0]

    @property
    def summary(self):
        return self.events[-1]

    def by(self, object_type):
        return [e for e in self.events if e["object_type"] == object_type]

    def named(self, object_type, name):
        (found,) = [e for e in self.by(object_type) if e["object_name"] == name]
        return found


@contextlib.contextmanager
def simulator(tenant, rate_limit=None, faults=None):
    sim = Auth0Simulator([tenant], rate_limit=rate_limit or RateLimitPolicy.unlimited(), faults=faults or FaultPlan())
    with sim, sim.resolve_domains():
        yield sim


def run_inventory(sim, client_id, params=None, logger=None, **settings_overrides):
    from ta_auth0.config import account_from, client_settings_from
    from ta_auth0.inventory_input import run_inventory_input

    account = account_from("acme", {"domain": DOMAIN, "client_id": client_id, "client_secret": SECRET})
    settings = client_settings_from({"ca_bundle_path": sim.ca_bundle_path, "rate_limit_share": "100"})
    for key, value in settings_overrides.items():
        setattr(settings, key, value)
    out = io.StringIO()
    before = len(sim.stats.records)
    result = run_inventory_input("auth0_inventory://acme", {"index": "auth0", **(params or {})},
                                 EventWriter(output=out), account, settings,
                                 logger or logging.getLogger("ta_auth0.test.inventory"))  # fmt: skip
    return Run(result, out.getvalue(), sim.stats.records[before:])
