"""Runs one ``auth0_logs`` input run outside Splunk, the way splunkd would: events go to stdout as
the modular-input XML stream, logs go to solnlib's log file, the checkpoint to a file.

Used by the crash-safety tests (which SIGKILL it), ``make demo`` and ``make bench``. The account,
including its secret, arrives as JSON on stdin, never on the command line:

    {"name": "demo", "domain": "...", "client_id": "...", "auth_method": "client_secret",
     "client_secret": "...", "private_key": "...", "key_id": null,
     "settings": {"rate_limit_share": "100", "ca_bundle_path": "/tmp/ca.pem"},
     "params": {"start_from": "earliest", "time_budget": "240", "index": "auth0"},
     "checkpoint": "/tmp/checkpoint.json", "log_dir": "/tmp/logs"}

Exit status: 0 after a run, 2 when the run reported an error (logged).
"""

import json
import logging
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))


def main() -> int:
    from solnlib import log as solnlib_log
    from splunklib.modularinput import EventWriter

    from ta_auth0.checkpoint import FileCheckpointStore
    from ta_auth0.config import account_from, client_settings_from
    from ta_auth0.errors import Auth0AddonError
    from ta_auth0.logs_input import run_logs_input

    spec = json.load(sys.stdin)
    log_dir = spec.get("log_dir") or os.path.join(ROOT, "demo-output", "logs")
    os.makedirs(log_dir, exist_ok=True)
    solnlib_log.Logs.set_context(directory=log_dir, namespace="ta_auth0")
    name = spec.get("name", "runner")
    logger = solnlib_log.Logs().get_logger(f"logs_{name}")
    logger.setLevel(logging.DEBUG if spec.get("debug") else logging.INFO)
    writer = EventWriter(output=sys.stdout)
    try:
        account = account_from(name, spec)
        settings = client_settings_from(spec.get("settings") or {}, spec.get("proxy"))
        store = FileCheckpointStore(spec["checkpoint"])
        summary = run_logs_input(f"auth0_logs://{name}", spec.get("params") or {}, writer, account, settings, store,
                                 logger)  # fmt: skip
    except Auth0AddonError as error:
        solnlib_log.log_exception(logger, error, error.category, msg_before=f"Input {name}: {error}")
        writer.close()
        return 2
    writer.close()
    sys.stderr.write(json.dumps({"summary": summary.as_dict()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
