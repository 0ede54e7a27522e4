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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools.input_runner import run_from_stdin


def run(stanza, spec, writer, account, settings, logger):
    from ta_auth0.checkpoint import FileCheckpointStore
    from ta_auth0.logs_input import run_logs_input

    store = FileCheckpointStore(spec["checkpoint"])
    return run_logs_input(stanza, spec.get("params") or {}, writer, account, settings, store, logger).as_dict()


if __name__ == "__main__":
    sys.exit(run_from_stdin("logs", run))
