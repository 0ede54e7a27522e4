"""Runs one ``auth0_inventory`` input run outside Splunk, the way splunkd would: events go to stdout as the
modular-input XML stream, logs go to solnlib's log file. Used by ``make demo`` and the inventory tests.

The account, including its secret, arrives as JSON on stdin, never on the command line (same shape as
``tools/logs_input_runner.py``, without the checkpoint):

    {"name": "demo", "domain": "...", "client_id": "...", "client_secret": "...",
     "settings": {"rate_limit_share": "50", "ca_bundle_path": "/tmp/ca.pem"},
     "params": {"index": "auth0", "interval": "21600"}, "log_dir": "/tmp/logs"}

Exit status: 0 after a run (the summary goes to stderr as JSON), 2 when the run reported an error (logged).

``demo(state, out_dir)`` is the ``make demo`` step: one run against the running simulator, every event's body to
``<out_dir>/inventory.jsonl``; ``report(result)`` prints the snapshot and its findings by severity.
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools.input_runner import run_from_stdin  # noqa: E402


def run(stanza, spec, writer, account, settings, logger):
    from ta_auth0.inventory_input import run_inventory_input

    return run_inventory_input(stanza, spec.get("params") or {}, writer, account, settings, logger).events[-1]


SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
#: Finding ids shown as one line with a count when more than this many objects have them.
GROUP_ABOVE = 3


def demo(state, out_dir):
    """Run the input against the simulator of ``state`` (tools.sim_process), write and print what it found."""
    import subprocess

    from tools.modinput_stream import parse_events
    from tools.sim_process import child_env

    tenant = state["tenants"][0]
    spec = {
        "name": "demo",
        "domain": tenant["domain"],
        "client_id": tenant["client_id"],
        "client_secret": tenant["client_secret"],
        "settings": {"ca_bundle_path": state["ca_bundle_path"], "rate_limit_share": "50"},
        "params": {"index": "auth0", "interval": "21600"},
        "log_dir": os.path.join(out_dir, "logs"),
    }
    run = subprocess.run([sys.executable, os.path.abspath(__file__)], input=json.dumps(spec), capture_output=True,
                         text=True, env=child_env(state), cwd=ROOT, check=False)  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"the inventory input failed:\n{run.stderr[-3000:]}")
    events, truncated = parse_events(run.stdout)
    if truncated:
        raise SystemExit("the inventory input's event stream ended mid-event")
    path = os.path.join(out_dir, "inventory.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for event in events:
            handle.write(event["data"] + "\n")
    return {"path": path, "sourcetype": events[0]["sourcetype"], "events": [json.loads(e["data"]) for e in events]}


def report(result):
    """Print a demo run's snapshot summary and its findings, most severe first."""
    bodies, path = result["events"], result["path"]
    summary = bodies[-1]
    counts = ", ".join(f"{name} {count}" for name, count in summary["counts"].items())
    print(f"Inventory snapshot {summary['snapshot_id']} (sourcetype {result['sourcetype']}): "
          f"{summary['objects_total']} objects ({counts}), skipped: {', '.join(summary['skipped_types']) or 'none'} "
          f"-> {os.path.relpath(path, ROOT)}")  # fmt: skip
    severities = summary["findings_by_severity"]
    print("Findings: " + ", ".join(f"{s} {severities[s]}" for s in SEVERITY_ORDER if s in severities))
    grouped = {}
    for body in bodies[:-1]:
        for finding in body["risk_details"]:
            grouped.setdefault((finding["severity"], finding["id"]), []).append((body, finding))
    for (severity, finding_id), items in sorted(
        grouped.items(), key=lambda k: (SEVERITY_ORDER.index(k[0][0]), k[0][1])
    ):
        if len(items) > GROUP_ABOVE:
            names = ", ".join(str(body["object_name"]) for body, _ in items[:GROUP_ABOVE])
            print(f"  {severity:<8} {finding_id:<32} {len(items)} {items[0][0]['object_type']}s, e.g. {names}")
            continue
        for body, finding in items:
            detail = finding["detail"]
            own = f"Action {body['object_name']!r}: "
            detail = detail[len(own) :] if detail.startswith(own) else detail
            print(f"  {severity:<8} {finding_id:<32} {body['object_type']} {body['object_name']!r}: {detail}")


if __name__ == "__main__":
    sys.exit(run_from_stdin("inventory", run))
