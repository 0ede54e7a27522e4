"""``make bench``: speed and rate-limit figures, each a ratio against a baseline run in the same run.

* ``ingest``: events/s of the full input path (client, pacing, envelope, XML event stream,
  checkpoint per page) against a bare loop over the same simulator pages (requests, json.loads,
  json.dumps per event, written to /dev/null). Target ratio >= 0.8.
* ``memory``: peak RSS of the input path for a tenant with 4x the logs. Target: no growth.
* ``ratelimit``: the simulator limits /api/v2/logs to 100 requests/minute (burst 10), the share is
  100 %; utilisation = requests made / requests the bucket allowed over the run. Targets >= 0.95, 0 429s.
* ``watchlist``: see tools/bench_watchlist.py (when present).

Each side runs in its own process against a simulator process, best of several rounds.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))

INGEST_LOGS = 20_000
ROUNDS = 3
RATELIMIT_SECONDS = 45.0


# -- workers (run in a child process with the simulator's resolver environment) -------------------
def _worker_raw(state):
    import requests

    tenant = state["tenants"][0]
    session = requests.Session()
    session.verify = state["ca_bundle_path"]
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
    started = time.perf_counter()
    token = session.post(
        f"https://{tenant['domain']}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": tenant["client_id"],
              "client_secret": tenant["client_secret"], "audience": tenant["audience"]},
    ).json()["access_token"]  # fmt: skip
    session.headers["Authorization"] = f"Bearer {token}"
    url = f"https://{tenant['domain']}/api/v2/logs?take=100"
    events = 0
    with open(os.devnull, "w", encoding="utf-8") as sink:
        while True:
            response = session.get(url)
            page = json.loads(response.content)
            for log in page:
                sink.write(json.dumps(log))
            events += len(page)
            if len(page) < 100:
                break
            url = response.links["next"]["url"]
    return {"events": events, "seconds": time.perf_counter() - started}


def _worker_ours(state, extra=None):
    import logging

    from solnlib import log as solnlib_log
    from splunklib.modularinput import EventWriter

    from ta_auth0.checkpoint import FileCheckpointStore
    from ta_auth0.config import account_from, client_settings_from
    from ta_auth0.logs_input import run_logs_input

    tenant = state["tenants"][0]
    tmp = tempfile.mkdtemp(prefix="bench-ours-")
    solnlib_log.Logs.set_context(directory=tmp, namespace="bench")
    logger = solnlib_log.Logs().get_logger("bench")
    logger.setLevel(logging.INFO)
    account = account_from("bench", tenant)
    settings = client_settings_from({"ca_bundle_path": state["ca_bundle_path"], "rate_limit_share": "100"})
    params = {"start_from": "earliest", "time_budget": "3600", **(extra or {})}
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        summary = run_logs_input("auth0_logs://bench", params, EventWriter(output=devnull), account, settings,
                                 FileCheckpointStore(os.path.join(tmp, "cp.json")), logger)  # fmt: skip
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"events": summary.events_written, "seconds": seconds, "peak_rss_kb": peak_kb}


def _run_worker(kind, state):
    from tools.sim_process import child_env

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(state, handle)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "tools.bench", "--worker", kind, "--state", handle.name],
            cwd=ROOT, env=child_env(state), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode:
            raise RuntimeError(f"bench worker {kind} failed: {out.stderr[-3000:]}")
    finally:
        os.unlink(handle.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- measurements ----------------------------------------------------------------------------------
def bench_ingest():
    from tools.sim_process import simulator

    with simulator(["--scenario", "traffic", "--logs", str(INGEST_LOGS), "--rate", "unlimited"]) as state:
        raw = ours = 0.0
        for _ in range(ROUNDS):
            r = _run_worker("raw", state)
            o = _run_worker("ours", state)
            if r["events"] != INGEST_LOGS or o["events"] != INGEST_LOGS:
                raise RuntimeError(f"a bench run did not ingest every log: raw={r} ours={o}")
            raw = max(raw, r["events"] / r["seconds"])
            ours = max(ours, o["events"] / o["seconds"])
            small_peak = o["peak_rss_kb"]
    with simulator(["--scenario", "traffic", "--logs", str(4 * INGEST_LOGS), "--rate", "unlimited"]) as state:
        big = _run_worker("ours", state)
    return [
        f"ingest: ours={ours:.0f} raw={raw:.0f} ratio={ours / raw:.2f}",
        f"memory: peak_rss_{INGEST_LOGS // 1000}k={small_peak / 1024:.1f}MB "
        f"peak_rss_{4 * INGEST_LOGS // 1000}k={big['peak_rss_kb'] / 1024:.1f}MB "
        f"growth={big['peak_rss_kb'] / small_peak:.2f}",
    ]


def bench_ratelimit():
    import io
    import logging

    from solnlib import log as solnlib_log
    from splunklib.modularinput import EventWriter

    from ta_auth0.checkpoint import MemoryCheckpointStore
    from ta_auth0.config import account_from, client_settings_from
    from ta_auth0.logs_input import run_logs_input
    from tools.auth0_sim import Auth0Simulator, RateLimitPolicy, SimulatedTenant, scenarios

    tenant = SimulatedTenant("ratelimit.us.auth0.com")
    tenant.register_client("bench-client", client_secret="bench-secret-0123456789", scopes=["read:logs"])
    now = time.time()
    scenarios.generate_traffic(tenant, count=30_000, start=now - 86400, end=now - 60, seed=3, return_logs=False)
    policy = RateLimitPolicy.per_minute(100, burst=10)
    tmp = tempfile.mkdtemp(prefix="bench-rl-")
    solnlib_log.Logs.set_context(directory=tmp, namespace="bench")
    with Auth0Simulator([tenant], rate_limit=policy) as sim, sim.resolve_domains():
        account = account_from("rl", {"domain": tenant.domain, "client_id": "bench-client",
                                      "client_secret": "bench-secret-0123456789"})  # fmt: skip
        settings = client_settings_from({"ca_bundle_path": sim.ca_bundle_path, "rate_limit_share": "100"})
        run_logs_input("auth0_logs://rl", {"start_from": "earliest", "time_budget": str(int(RATELIMIT_SECONDS))},
                       EventWriter(output=io.StringIO()), account, settings, MemoryCheckpointStore(),
                       logging.getLogger("bench.ratelimit"))  # fmt: skip
        records = sim.stats.records_for(path="/api/v2/logs")
        rejected = sim.stats.count_429
    times = sorted(r.time for r in records if r.status == 200)
    allowed = policy.burst + policy.rate * (times[-1] - times[0])
    return [f"ratelimit: utilisation={len(times) / allowed:.3f} 429s={rejected} requests={len(times)} "
            f"allowed={allowed:.1f} window={times[-1] - times[0]:.1f}s"]  # fmt: skip


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--worker", choices=("raw", "ours"))
    parser.add_argument("--state")
    parser.add_argument("--only", choices=("ingest", "ratelimit", "watchlist"))
    args = parser.parse_args(argv)
    if args.worker:
        with open(args.state, encoding="utf-8") as handle:
            state = json.load(handle)
        result = _worker_raw(state) if args.worker == "raw" else _worker_ours(state)
        print(json.dumps(result))
        return 0
    if args.only in (None, "ingest"):
        for line in bench_ingest():
            print(line, flush=True)
    if args.only in (None, "ratelimit"):
        for line in bench_ratelimit():
            print(line, flush=True)
    if args.only in (None, "watchlist"):
        try:
            from tools import bench_watchlist
        except ImportError:
            print("watchlist: not built yet", flush=True)
        else:
            print(bench_watchlist.run(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
