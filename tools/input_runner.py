"""What both stand-alone input runners share: read the account and options as JSON from stdin (secrets never on
the command line), log through solnlib into ``log_dir``, write the modular-input XML stream to stdout as splunkd
would read it, and exit 0 after a run or 2 when the run reported an error (logged)."""

import json
import logging
import os
import sys
from typing import Any, Callable, Dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))

#: run(stanza, spec, writer, account, settings, logger) -> a JSON-able summary written to stderr.
Run = Callable[[str, Dict[str, Any], Any, Any, Any, logging.Logger], Any]


def run_from_stdin(kind: str, run: Run) -> int:
    from solnlib import log as solnlib_log
    from splunklib.modularinput import EventWriter

    from ta_auth0.config import account_from, client_settings_from
    from ta_auth0.errors import Auth0AddonError

    spec = json.load(sys.stdin)
    log_dir = spec.get("log_dir") or os.path.join(ROOT, "demo-output", "logs")
    os.makedirs(log_dir, exist_ok=True)
    solnlib_log.Logs.set_context(directory=log_dir, namespace="ta_auth0")
    name = spec.get("name", "runner")
    logger = solnlib_log.Logs().get_logger(f"{kind}_{name}")
    logger.setLevel(logging.DEBUG if spec.get("debug") else logging.INFO)
    writer = EventWriter(output=sys.stdout)
    try:
        account = account_from(name, spec)
        settings = client_settings_from(spec.get("settings") or {}, spec.get("proxy"))
        summary = run(f"auth0_{kind}://{name}", spec, writer, account, settings, logger)
    except Auth0AddonError as error:
        solnlib_log.log_exception(logger, error, error.category, msg_before=f"Input {name}: {error}")
        writer.close()
        return 2
    writer.close()
    sys.stderr.write(json.dumps({"summary": summary}, default=str) + "\n")
    return 0
