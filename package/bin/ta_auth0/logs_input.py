"""The ``auth0_logs`` modular input: wires Splunk (config, KV store, logging) to the collector.

``stream_events``/``validate_input`` are what UCC's generated script calls (through the thin
``auth0_logs_helper``). ``run_logs_input`` is the same run with its collaborators passed in, so that
tests and ``make demo`` drive the real code path against the tenant simulator.
"""

import logging
from typing import Any, Mapping, Optional

from . import ADDON_NAME, CHECKPOINT_COLLECTION, LOGS_SOURCETYPE
from .client import Auth0Client, ClientSettings
from .config import TenantAccount, load_account, load_settings, whole_number
from .errors import ConfigurationError
from .events import EventSink
from .log_types import load_stream_categories
from .logs_collector import START_DAYS_BACK, START_EARLIEST, START_NOW, CollectorOptions, LogsCollector, RunSummary
from .modinput import input_name_of, run_each_input

SERVICE = "auth0_logs"


def collector_options_from(params: Mapping[str, Any]) -> CollectorOptions:
    """The input's parameters, checked, each error naming the field."""
    start_from = (params.get("start_from") or START_DAYS_BACK).strip()
    if start_from not in (START_NOW, START_EARLIEST, START_DAYS_BACK):
        raise ConfigurationError(f"'First run starts at' must be now, earliest or days_back, not {start_from!r}.")

    days_back = whole_number(params, "days_back", 1, 1, 30, "Days back")
    time_budget = whole_number(params, "time_budget", 240, 10, 3600, "Run time budget")
    raw_categories = params.get("log_categories") or ""
    categories = frozenset(c.strip() for c in str(raw_categories).replace(",", "|").split("|") if c.strip())
    known = set(load_stream_categories().values()) | {"other"}
    unknown = sorted(categories - known)
    if unknown:
        raise ConfigurationError(f"Unknown Auth0 log categories: {', '.join(unknown)}.")
    return CollectorOptions(start_from, days_back, categories or None, float(time_budget))


def run_logs_input(
    stanza: str,
    params: Mapping[str, Any],
    event_writer: Any,
    account: TenantAccount,
    settings: ClientSettings,
    store: Any,
    logger: logging.Logger,
    client: Optional[Auth0Client] = None,
) -> RunSummary:
    """One run of one input: collect, write, checkpoint; report to UCC's monitoring dashboard."""
    from solnlib import log as solnlib_log

    options = collector_options_from(params)
    index = params.get("index") or None
    client = client or Auth0Client(account.domain, account.credentials, settings, logger=logger)
    sink = EventSink(
        event_writer, index, host=account.domain, source=f"auth0://{account.domain}", sourcetype=LOGS_SOURCETYPE
    )
    collector = LogsCollector(client, store, sink, options, logger, type_categories=load_stream_categories())
    try:
        summary = collector.run()
    finally:
        # Whatever was flushed before a failure was delivered and is reported as such.
        if sink.events_written:
            solnlib_log.events_ingested(
                logger,
                stanza,
                LOGS_SOURCETYPE,
                sink.events_written,
                index or "default",
                account=account.name,
                host=account.domain,
            )
        client.close()
    logger.info(
        "Run finished for %s: %d events, %d pages, %d filtered, %d duplicates dropped, checkpoint %s, stopped: %s",
        account.domain,
        summary.events_written,
        summary.pages,
        summary.logs_filtered,
        summary.duplicates_dropped,
        summary.last_log_id,
        summary.stopped_because,
    )
    return summary


def validate_input(definition: Any) -> None:
    collector_options_from(definition.parameters)


def stream_events(inputs: Any, event_writer: Any) -> None:
    from .checkpoint import KVStoreCheckpointStore

    def run_one(stanza: str, params: Mapping[str, Any], session_key: str, logger: logging.Logger) -> None:
        account = load_account(session_key, params.get("account") or "")
        settings = load_settings(session_key)
        store = KVStoreCheckpointStore(input_name_of(stanza), session_key, ADDON_NAME, CHECKPOINT_COLLECTION)
        run_logs_input(stanza, params, event_writer, account, settings, store, logger)

    run_each_input(inputs, "logs", run_one)
