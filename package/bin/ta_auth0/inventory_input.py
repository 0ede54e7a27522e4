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
from .errors import Auth0AddonError, ConfigurationError
from .findings import Assessment, assess
from .inventory_collector import INVENTORY_SOURCETYPE, InventoryCollector, InventoryOptions, Snapshot
from .inventory_events import InventoryEventSink, object_events, summary_event

SERVICE = "auth0_inventory"
DEFAULT_INTERVAL = 21600
MIN_INTERVAL = 300


class InventoryRun:
    def __init__(self, snapshot: Snapshot, assessment: Assessment, events: List[Dict[str, Any]]):
        self.snapshot = snapshot
        self.assessment = assessment
        self.events = events


def input_name_of(stanza: str) -> str:
    return stanza.split("://", 1)[-1]


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


def _logger_for(input_name: str, session_key: Optional[str]) -> logging.Logger:
    from solnlib import conf_manager
    from solnlib import log as solnlib_log

    from . import ADDON_NAME, SETTINGS_CONF

    logger = solnlib_log.Logs().get_logger(f"ta_auth0_inventory_{input_name}")
    if session_key:
        try:
            logger.setLevel(
                conf_manager.get_log_level(
                    logger=logger, session_key=session_key, app_name=ADDON_NAME, conf_name=SETTINGS_CONF
                )
            )
        except Exception:  # the logging tab is optional; INFO is the default
            logger.setLevel(logging.INFO)
    return logger


def validate_input(definition: Any) -> None:
    inventory_options_from(definition.parameters)


def stream_events(inputs: Any, event_writer: Any) -> None:
    from solnlib import log as solnlib_log

    session_key = inputs.metadata["session_key"]
    for stanza, params in inputs.inputs.items():
        input_name = input_name_of(stanza)
        logger = _logger_for(input_name, session_key)
        solnlib_log.modular_input_start(logger, input_name)
        try:
            account = load_account(session_key, params.get("account") or "")
            settings = load_settings(session_key)
            run_inventory_input(stanza, params, event_writer, account, settings, logger)
        except Auth0AddonError as error:
            solnlib_log.log_exception(logger, error, error.category, msg_before=f"Input {input_name}: {error}")
        except Exception as error:  # report, then let the next input run
            solnlib_log.log_exception(logger, error, "Unexpected Error", msg_before=f"Input {input_name} failed:")
        solnlib_log.modular_input_end(logger, input_name)
