"""Benchmark: ``| auth0watchlist`` against a splunklib StreamingCommand that does nothing.

Both commands run the same way: as a subprocess fed the same chunked input from a file (a getinfo chunk, then
200,000 Auth0-like records of 10 fields in execute chunks of 10,000, as splunkd writes them), timed by wall clock
until their whole output has been read; best of ``--runs`` runs each, interleaved. ``auth0watchlist`` reads its
1,000-entry watchlist from a local HTTP server that answers the KV store endpoint the way splunkd does.

    python -m tools.bench_watchlist     ->  watchlist: ours=<records/s> passthrough=<records/s> speedup=<x>
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "package", "bin")
COMMAND_FILE = os.path.join(BIN, "auth0watchlist.py")
RECORDS = 200_000
CHUNK_RECORDS = 10_000
WATCHLIST_SIZE = 1_000
RUNS = 3
FIELDS = (
    "_time", "host", "sourcetype", "data.type", "data.description", "data.ip", "data.user_id",
    "data.client_id", "data.details.response.body.client_id", "data.scope",
)  # fmt: skip


def _client_id(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(32))


def make_watchlist(rng: random.Random, size: int = WATCHLIST_SIZE) -> List[Dict[str, Any]]:
    categories = ("critical", "api_explorer", "privileged_m2m", "dcr", "custom")
    return [
        {
            "_key": "%05d" % i,
            "client_id": _client_id(rng),
            "tenant": "acme.us.auth0.com",
            "category": categories[i % len(categories)],
            "label": "Application %d" % i,
            "reason": "bench entry %d" % i,
            "source": "inventory" if i % 3 else "manual",
            "added_by": "bench",
            "added_at": "2026-01-01T00:00:00Z",
            "expires_at": "",
        }
        for i in range(size)
    ]


def _quote(value: str) -> str:
    # splunkd quotes every non-empty value
    return '"' + value.replace('"', '""') + '"' if value else ""


def _record(rng: random.Random, index: int, applications: List[str], watched: List[str]) -> str:
    event_type = rng.choice(("s", "f", "seccft", "sapi", "mgmt_api_read", "s", "s"))
    client = rng.choice(watched) if rng.random() < 0.02 else rng.choice(applications)
    target = ""
    if event_type in ("sapi", "mgmt_api_read"):
        target = rng.choice(watched) if rng.random() < 0.05 else rng.choice(applications)
    scopes = ["openid"]
    if event_type == "seccft":
        scopes = rng.sample(["read:users", "read:clients", "update:clients", "delete:users", "create:users"], 3)
    values = [
        "%.3f" % (1767225600 + index * 0.013),
        "acme.us.auth0.com",
        "auth0:logs",
        event_type,
        "Get client by ID" if event_type == "mgmt_api_read" else "",
        "203.0.113.%d" % rng.randint(1, 254),
        "auth0|%024x" % rng.getrandbits(96),
        client,
        target,
        "\n".join(scopes),
    ]
    multivalues = [""] * len(FIELDS)
    if len(scopes) > 1:
        multivalues[-1] = ";".join("$" + s.replace("$", "$$") + "$" for s in scopes)
    return ",".join(map(_quote, values)) + "," + ",".join(multivalues)


def _chunk(metadata: Dict[str, Any], body: bytes = b"") -> bytes:
    encoded = json.dumps(metadata).encode("utf-8")
    return b"chunked 1.0,%d,%d\n" % (len(encoded), len(body)) + encoded + body


def make_input(
    path: str, splunkd_uri: str, watchlist: List[Dict[str, Any]], records: int = RECORDS, seed: int = 5
) -> None:
    """The byte stream splunkd would send: getinfo, then execute chunks of CHUNK_RECORDS records."""
    rng = random.Random(seed)
    applications = [_client_id(rng) for _ in range(200)]
    watched = [entry["client_id"] for entry in watchlist]
    searchinfo = {
        "args": [], "raw_args": [], "dispatch_dir": tempfile.gettempdir(), "sid": "bench.1", "app": "TA-auth0",
        "owner": "admin", "username": "admin", "session_key": "bench-session-key", "splunkd_uri": splunkd_uri,
        "splunk_version": "9.3.0", "search": "search index%3Dauth0%20%7C%20auth0watchlist",
        "command": "auth0watchlist", "maxresultrows": 50000, "earliest_time": "0", "latest_time": "0",
    }  # fmt: skip
    header = ",".join(map(_quote, FIELDS)) + "," + ",".join(_quote("__mv_" + f) for f in FIELDS)
    with open(path, "wb") as out:
        out.write(_chunk({"action": "getinfo", "preview": False, "searchinfo": searchinfo}))
        for start in range(0, records, CHUNK_RECORDS):
            rows = [_record(rng, i, applications, watched) for i in range(start, min(records, start + CHUNK_RECORDS))]
            body = (header + "\n" + "\n".join(rows) + "\n").encode("utf-8")
            out.write(_chunk({"action": "execute", "finished": start + CHUNK_RECORDS >= records}, body))


class _KVStore(BaseHTTPRequestHandler):
    documents: ClassVar[List[Dict[str, Any]]] = []
    path_served = "/servicesNS/nobody/TA-auth0/storage/collections/data/auth0_client_watchlist"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != self.path_served:
            self.send_error(404)
            return
        query = parse_qs(url.query)
        skip = int(query.get("skip", ["0"])[0])
        limit = int(query.get("limit", ["0"])[0]) or len(self.documents)
        body = json.dumps(self.documents[skip : skip + limit]).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _time_command(command: List[str], input_path: str) -> Tuple[float, bytes]:
    with open(input_path, "rb") as stdin:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        output, errors = process.communicate()
        elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"bench: {command[-1]} exited {process.returncode}: {errors.decode(errors='replace')[-2000:]}")
    return elapsed, output


def _records_out(output: bytes) -> int:
    """Records in a command's answers, and a check that the last answer says finished."""
    import io

    sys.path.insert(0, BIN)
    from ta_auth0 import scp

    stream = io.BytesIO(output)
    total = 0
    finished = False
    while True:
        chunk = scp.read_chunk(stream)
        if chunk is None:
            break
        finished = chunk.metadata.get("finished") is True
        total += len(scp.parse_records(chunk.body.decode("utf-8")))
    if not finished:
        raise SystemExit("bench: the last answer is not marked finished")
    return total


def run(records: int = RECORDS, runs: int = RUNS) -> str:
    rng = random.Random(11)
    _KVStore.documents = make_watchlist(rng)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KVStore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_watchlist_") as directory:
            input_path = os.path.join(directory, "input.chunks")
            make_input(input_path, "http://127.0.0.1:%d" % server.server_address[1], _KVStore.documents, records)
            commands = {
                "ours": [sys.executable, COMMAND_FILE],
                "passthrough": [sys.executable, "-m", "tools.bench_watchlist", "--passthrough-command"],
            }
            best: Dict[str, Optional[float]] = dict.fromkeys(commands)
            for attempt in range(runs):
                for name, command in commands.items():
                    elapsed, output = _time_command(command, input_path)
                    if attempt == 0 and _records_out(output) != records:
                        raise SystemExit(f"bench: {name} did not answer with all {records} records")
                    previous = best[name]
                    best[name] = elapsed if previous is None else min(previous, elapsed)
    finally:
        server.shutdown()
        server.server_close()
    ours = records / (best["ours"] or 1e-9)
    passthrough = records / (best["passthrough"] or 1e-9)
    return "watchlist: ours=%d passthrough=%d speedup=%.2f" % (ours, passthrough, ours / passthrough)


def passthrough_command() -> None:
    """A splunklib StreamingCommand that yields every record unchanged (the baseline)."""
    from splunklib.searchcommands import Configuration, StreamingCommand, dispatch

    @Configuration()
    class PassthroughCommand(StreamingCommand):
        def stream(self, records):
            yield from records

    dispatch(PassthroughCommand, [sys.argv[0]], sys.stdin, sys.stdout, None)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--passthrough-command", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.passthrough_command:
        passthrough_command()
        return 0
    print(run(args.records, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
