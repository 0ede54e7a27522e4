"""The ``auth0_inventory`` modular input: wires Splunk (config, logging) to the inventory collector.

``stream_events``/``validate_input`` are what UCC's generated script calls (through the thin
``auth0_inventory_helper``). ``run_inventory_input`` is one run with its collaborators passed in, so that tests,
``tools/inventory_runner.py`` and ``make demo`` drive the real code path against the tenant simulator.

A run reads a full snapshot (no checkpoint), assesses it, and writes one event per object plus a summary event;
every event of a run carries the same new ``snapshot_id`` and time.
"""

import logging
from typing import Any, Dict, List, Mapping, Optional

from .client import Auth0Client, ClientSettings
from .config import TenantAccount, load_account, load_settings
from .errors import ConfigurationError
from .findings import Assessment, assess
from .inventory_collector import INVENTORY_SOURCETYPE, InventoryCollector, InventoryOptions, Snapshot
from .inventory_events import InventoryEventSink, object_events, summary_event
from .modinput import run_each_input

SERVICE = "auth0_inventory"
DEFAULT_INTERVAL = 21600
MIN_INTERVAL = 300


class InventoryRun:
    def __init__(self, snapshot: Snapshot, assessment: Assessment, events: List[Dict[str, Any]]):
        self.snapshot = snapshot
        self.assessment = assessment
        self.events = events


def inventory_options_from(params: Mapping[str, Any]) -> InventoryOptions:
    """The input's parameters, checked; each error names the field."""
    raw = params.get("interval")
    if raw is not None and str(raw).strip():
        try:
            interval = int(str(raw).strip())
        except ValueError:
            raise ConfigurationError(f"Interval must be a whole number of seconds, not {raw!r}.") from None
        if interval < MIN_INTERVAL:
            raise ConfigurationError(
                f"Interval must be at least {MIN_INTERVAL} seconds (a snapshot reads every configuration object), "
                f"not {interval}."
            )
    return InventoryOptions()


def run_inventory_input(
    stanza: str,
    params: Mapping[str, Any],
    event_writer: Any,
    account: TenantAccount,
    settings: ClientSettings,
    logger: logging.Logger,
    client: Optional[Auth0Client] = None,
) -> InventoryRun:
    """One snapshot of one tenant: collect, assess, write; report to UCC's monitoring dashboard."""
    from solnlib import log as solnlib_log

    options = inventory_options_from(params)
    index = params.get("index") or None
    client = client or Auth0Client(account.domain, account.credentials, settings, logger=logger)
    sink = InventoryEventSink(
        event_writer, index, host=account.domain, source=f"auth0://{account.domain}", sourcetype=INVENTORY_SOURCETYPE
    )
    try:
        snapshot = InventoryCollector(client, options, logger).run()
        assessment = assess(snapshot.objects, account.domain, snapshot.finished_at)
        events = object_events(snapshot, assessment)
        events.append(summary_event(snapshot, assessment, requests=client.stats.get("requests")))
        sink.write(events, snapshot.started_at)
    finally:
        if sink.events_written:
            solnlib_log.events_ingested(
                logger, stanza, INVENTORY_SOURCETYPE, sink.events_written, index or "default",
                account=account.name, host=account.domain,
            )  # fmt: skip
        client.close()
    summary = events[-1]
    logger.info(
        "Inventory snapshot %s of %s: %d objects %s, %d findings %s, skipped %s, %.1fs",
        snapshot.snapshot_id,
        account.domain,
        summary["objects_total"],
        summary["counts"],
        summary["findings_total"],
        summary["findings_by_severity"],
        summary["skipped_types"] or "none",
        summary["duration_seconds"],
    )
    return InventoryRun(snapshot, assessment, events)


def validate_input(definition: Any) -> None:
    inventory_options_from(definition.parameters)


def stream_events(inputs: Any, event_writer: Any) -> None:
    def run_one(stanza: str, params: Mapping[str, Any], session_key: str, logger: logging.Logger) -> None:
        account = load_account(session_key, params.get("account") or "")
        settings = load_settings(session_key)
        run_inventory_input(stanza, params, event_writer, account, settings, logger)

    run_each_input(inputs, "inventory", run_one)
