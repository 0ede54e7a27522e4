"""Command line: ``python -m tools.auth0_sim serve ...``.

Runs the simulator in the foreground, writes a JSON state file once it is
listening and stops on SIGTERM/SIGINT (removing the state file)::

    python -m tools.auth0_sim serve --scenario demo --state-file /tmp/sim.json
    python -m tools.auth0_sim serve --scenario traffic --logs 200000 --rate per_minute:100:10 \\
        --state-file /tmp/sim.json --port 8443

State file keys: ``pid``, ``port``, ``scheme``, ``ca_bundle_path``,
``tenants`` (``[{domain, client_id, client_secret, audience, token_url}]``),
``resolve`` (value for the ``AUTH0_SIM_RESOLVE`` variable),
``resolve_env_var``, ``pythonpath`` (the resolver_site directory) and
``child_env`` (variables to add to a child's environment).
"""

import argparse
import json
import os
import random
import signal
import sys
import threading
import time

from . import scenarios
from .ratelimit import RateLimitPolicy
from .server import RESOLVE_ENV_VAR, RESOLVER_SITE_DIR, Auth0Simulator
from .tenant import SimulatedTenant


def _build_tenants(args):
    if args.scenario == "demo":
        tenant, creds = scenarios.demo_tenant(
            args.domain,
            logs=args.logs if args.logs is not None else 3000,
            days=args.days,
            seed=args.seed,
            retention_days=args.retention_days,
            token_lifetime=args.token_lifetime,
        )
        return [tenant], [creds]
    tenant = SimulatedTenant(
        args.domain, retention_days=args.retention_days, token_lifetime=args.token_lifetime, seed=args.seed
    )
    end = time.time() - 60
    scenarios.generate_traffic(
        tenant,
        count=args.logs if args.logs is not None else 20000,
        start=end - args.days * 86400,
        end=end,
        seed=args.seed,
        return_logs=False,
    )
    catalog = tenant.catalog
    collector = catalog["by_name"]["Splunk Log Collector"]
    secret = "".join(random.Random("secret:%s:%s" % (args.domain, args.seed)).choices(scenarios.ALNUM, k=64))
    tenant.register_client(
        collector["client_id"], client_secret=secret, scopes=scenarios.SECRET_FREE_READ_SCOPES, name=collector["name"]
    )
    creds = {
        "domain": tenant.domain,
        "client_id": collector["client_id"],
        "client_secret": secret,
        "audience": tenant.management_audience,
        "token_url": tenant.token_url,
    }
    return [tenant], [creds]


def _write_state(path, state):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def serve(args):
    rate = RateLimitPolicy.parse(args.rate)
    tenants, creds = _build_tenants(args)
    sim = Auth0Simulator(tenants, rate_limit=rate, tls=not args.no_tls, host=args.host, port=args.port)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim.start()
    try:
        state = {
            "pid": os.getpid(),
            "host": args.host,
            "port": sim.port,
            "scheme": sim.scheme,
            "ca_bundle_path": sim.ca_bundle_path,
            "tenants": creds,
            "logs": {t.domain: len(t) for t in tenants},
            "rate_limit": rate.label,
            "resolve": sim.resolve_spec,
            "resolve_env_var": RESOLVE_ENV_VAR,
            "pythonpath": RESOLVER_SITE_DIR,
            "child_env": sim.child_env(),
        }
        _write_state(args.state_file, state)
        sys.stderr.write(
            "auth0-sim listening on %s://127.0.0.1:%d for %s (state: %s)\n"
            % (sim.scheme, sim.port, ", ".join(t.domain for t in tenants), args.state_file)
        )
        while not stop.wait(0.5):
            pass
    finally:
        sim.cleanup()
        try:
            os.unlink(args.state_file)
        except OSError:
            pass
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.auth0_sim", description="Auth0 tenant simulator (dev only)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the simulator in the foreground")
    p.add_argument("--scenario", choices=("demo", "traffic"), default="demo")
    p.add_argument("--logs", type=int, default=None, help="number of traffic logs (demo: 3000, traffic: 20000)")
    p.add_argument("--days", type=float, default=2.0, help="time span of the generated logs (days, ending now)")
    p.add_argument("--state-file", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument(
        "--rate", default="per_minute:100:10", help="per_minute:RATE:BURST, per_second:RATE:BURST or unlimited"
    )
    p.add_argument("--no-tls", action="store_true")
    p.add_argument("--domain", default="acme.us.auth0.com")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--retention-days", type=float, default=30)
    p.add_argument("--token-lifetime", type=int, default=86400)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
