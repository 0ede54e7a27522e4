"""``make demo``: the add-on at work without Splunk.

Starts the tenant simulator with its built-in scenario tenant (two days of traffic plus a DCR burst,
admin reads of client secrets and an API Explorer token), runs the real logs input against it the way
splunkd would (``tools/logs_input_runner.py``: XML event stream on stdout, checkpoint file), writes every
event's body — the Log Streams envelope — to ``demo-output/events.jsonl`` and prints counts by log type.
A second run shows that the checkpoint makes the next interval collect nothing twice. Then the configuration
inventory input reads the same tenant (``tools/inventory_runner.py``): ``demo-output/inventory.jsonl`` and its
findings (the risky Action, the API Explorer Application, the DCR clients, ...).
"""

import collections
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "demo-output")


def _run_input(state, name):
    from tools.modinput_stream import parse_events
    from tools.sim_process import child_env

    tenant = state["tenants"][0]
    spec = {
        "name": name,
        "domain": tenant["domain"],
        "client_id": tenant["client_id"],
        "client_secret": tenant["client_secret"],
        "settings": {"ca_bundle_path": state["ca_bundle_path"], "rate_limit_share": "50"},
        "params": {"start_from": "days_back", "days_back": "3", "index": "auth0", "time_budget": "300"},
        "checkpoint": os.path.join(OUT, "checkpoint.json"),
        "log_dir": os.path.join(OUT, "logs"),
    }
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "logs_input_runner.py")],
        input=json.dumps(spec), capture_output=True, text=True, env=child_env(state), cwd=ROOT, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise SystemExit(f"the input failed:\n{run.stderr[-3000:]}")
    events, truncated = parse_events(run.stdout)
    if truncated:
        raise SystemExit("the input's event stream ended mid-event")
    return events


def main() -> int:
    import tools.inventory_runner
    from tools.sim_process import simulator

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with simulator(["--scenario", "demo", "--rate", "per_second:10:20"]) as state:
        domain = state["tenants"][0]["domain"]
        print(
            f"Simulated tenant {domain}: {state['logs'][domain]} logs over two days, rate limit {state['rate_limit']}"
        )
        events = _run_input(state, "demo")
        again = _run_input(state, "demo")
        inventory = tools.inventory_runner.demo(state, OUT)
    path = os.path.join(OUT, "events.jsonl")
    with open(path, "w", encoding="utf-8") as handle:
        for event in events:
            handle.write(event["data"] + "\n")
    by_type = collections.Counter(json.loads(e["data"])["data"].get("type") for e in events)
    first = events[0]
    print(f"First run: {len(events)} events (sourcetype {first['sourcetype']}, source {first['source']}, "
          f"host {first['host']}, index {first['index']}) -> {os.path.relpath(path, ROOT)}")  # fmt: skip
    print(f"Second run: {len(again)} new events (the checkpoint holds)")
    print("Events by Auth0 log type:")
    for code, count in by_type.most_common():
        print(f"  {code:<24} {count}")
    dcr = sum(1 for e in events if '"description":"Dynamic client registration"' in e["data"])
    secret_reads = sum(1 for e in events if '"accessedSecrets":["client_secret"]' in e["data"])
    explorer = sum(1 for e in events if '"client_name":"API Explorer Application"' in e["data"])
    print(f"Attack scenario in the data: {dcr} dynamic client registrations, {secret_reads} client-secret reads, "
          f"{explorer} events of the API Explorer Application")  # fmt: skip
    tools.inventory_runner.report(inventory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
