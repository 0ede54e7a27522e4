"""SIGKILL the collector at random points of a 20,000-log ingest and restart it, as splunkd would
after a crash: afterwards every log_id is present, and each kill re-sent at most one page."""

import json
import os
import random
import select
import signal
import subprocess
import sys

from sim_harness import CLIENT_ID, CLIENT_SECRET, DOMAIN, make_tenant

from tools.modinput_stream import parse_events

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOTAL_LOGS = 20_000
MIN_KILLS = 30
PAGE = 100


def _start_runner(sim, tmp_path, checkpoint):
    spec = {
        "name": "crash",
        "domain": DOMAIN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "settings": {"ca_bundle_path": sim.ca_bundle_path, "rate_limit_share": "100"},
        "params": {"start_from": "earliest", "time_budget": "600", "index": "auth0"},
        "checkpoint": str(checkpoint),
        "log_dir": str(tmp_path / "logs"),
    }
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "logs_input_runner.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=sim.child_env(),
        cwd=ROOT,
    )
    proc.stdin.write(json.dumps(spec).encode())
    proc.stdin.close()
    return proc


def _read_until(proc, kill_after_events):
    """Read the event stream; SIGKILL the process once it has delivered ``kill_after_events``."""
    chunks = []
    seen = 0
    killed = False
    fd = proc.stdout.fileno()
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        assert ready, "the collector stopped producing output"
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        seen += chunk.count(b"</event>")
        if kill_after_events is not None and not killed and seen >= kill_after_events:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
    proc.wait(timeout=30)
    return b"".join(chunks).decode("utf-8"), killed


def test_sigkill_at_random_points_loses_nothing(harness_for, tmp_path):
    tenant = make_tenant(count=TOTAL_LOGS, days=3)
    harness = harness_for(tenant)
    expected = [log["log_id"] for log in tenant.visible_logs()]
    checkpoint = tmp_path / "checkpoint.json"
    rng = random.Random(20261126)
    delivered = set()
    kills = 0
    worst_duplicates = 0
    while True:
        kill_after = rng.randint(1, 450) if len(delivered) < TOTAL_LOGS - PAGE else None
        proc = _start_runner(harness.sim, tmp_path, checkpoint)
        text, killed = _read_until(proc, kill_after)
        events, _truncated = parse_events(text)
        ids = [json.loads(event["data"])["log_id"] for event in events]
        duplicates = sum(1 for log_id in ids if log_id in delivered)
        worst_duplicates = max(worst_duplicates, duplicates)
        assert duplicates <= PAGE, f"kill #{kills} re-sent {duplicates} logs"
        assert len(ids) == len(set(ids)), "a run delivered a log twice"
        delivered.update(ids)
        if killed:
            kills += 1
            assert proc.returncode == -signal.SIGKILL
            continue
        assert proc.returncode == 0
        if len(delivered) >= len(expected):
            break
    assert kills >= MIN_KILLS
    missing = set(expected) - delivered
    assert not missing, f"{len(missing)} logs lost"
    assert delivered == set(expected)
    print(f"crash safety: {kills} kills, worst re-sent per kill {worst_duplicates}")
