"""A local stand-in for splunkd's KV store REST endpoint, and a driver that talks to a command like splunkd.

No ``conftest.py`` here on purpose (see tests/integration/simulator/auth0sim_helpers.py): import this module.
"""

import contextlib
import datetime
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Sequence, Tuple
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "unit", "watchlist"))
import watchlist_helpers as h

COLLECTION_PATH = "/servicesNS/nobody/TA-auth0/storage/collections/data/auth0_client_watchlist"
SESSION_KEY = "s3ss10n-k3y"


class FakeSplunkd(BaseHTTPRequestHandler):
    """Answers the collection's data endpoint like splunkd: JSON array, limit/skip paging, Splunk token auth."""

    def do_GET(self):
        server = self.server
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        server.requests.append((url.path, query, self.headers.get("Authorization")))
        behaviour = server.behaviour
        if behaviour == "hang":
            time.sleep(2)
        if url.path != COLLECTION_PATH or behaviour == 404:
            return self._answer(404, {"messages": [{"type": "ERROR", "text": "Could not find object."}]})
        if self.headers.get("Authorization") != f"Splunk {SESSION_KEY}" or behaviour == 401:
            return self._answer(401, {"messages": [{"type": "WARN", "text": "call not properly authenticated"}]})
        if isinstance(behaviour, int):
            return self._answer(behaviour, {"messages": [{"type": "ERROR", "text": "KV Store is initializing."}]})
        if behaviour == "malformed":
            return self._answer(200, raw=b'[{"client_id": "abc", ')
        if behaviour == "object":
            return self._answer(200, {"client_id": "abc"})
        skip, limit = int(query.get("skip", 0)), int(query.get("limit", 0))
        if behaviour == "max_rows_per_query=2":  # limits.conf [kvstore] caps every answer
            limit = min(limit or 2, 2)
        documents = sorted(server.documents, key=lambda d: d.get("_key", "") if isinstance(d, dict) else "")
        return self._answer(200, documents[skip : skip + limit] if limit else documents[skip:])

    def _answer(self, status, document=None, raw=None):
        body = raw if raw is not None else json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _self_signed(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SplunkServerDefaultCert")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


@contextlib.contextmanager
def fake_splunkd(scheme, directory):
    """A running FakeSplunkd on 127.0.0.1 (https: a self-signed certificate, as Splunk installs one)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSplunkd)
    server.daemon_threads = True
    server.block_on_close = False
    server.requests = []
    server.documents = h.watchlist_rows()
    server.behaviour = "ok"
    if scheme == "https":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*_self_signed(str(directory)))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.uri = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class CommandProcess:
    """A command file run as splunkd runs it: one chunk in, wait for its answer, the next chunk in."""

    def __init__(self, command: Sequence[str], timeout: float = 60.0):
        self.process = subprocess.Popen(
            list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._timer = threading.Timer(timeout, self.process.kill)
        self._timer.start()

    def exchange(self, data: bytes) -> Tuple[Dict[str, Any], bytes]:
        """Send one chunk and read exactly one answer chunk back."""
        self.process.stdin.write(data)
        self.process.stdin.flush()
        return self.answer()

    def answer(self) -> Tuple[Dict[str, Any], bytes]:
        stdout = self.process.stdout
        header = stdout.readline()
        assert header.startswith(b"chunked 1.0,"), f"no answer: {header!r} {self.stderr_so_far()}"
        metadata_length, body_length = (int(n) for n in header[len(b"chunked 1.0,") :].split(b","))
        metadata = stdout.read(metadata_length)
        body = stdout.read(body_length)
        assert len(metadata) == metadata_length, "short answer"
        assert len(body) == body_length, "short answer"
        return json.loads(metadata.decode("utf-8")), body

    def stderr_so_far(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode("utf-8", "replace")

    def finish(self) -> Tuple[int, bytes, str]:
        """Close the input; exit status, anything written after the last answer, and stderr."""
        self.process.stdin.close()
        rest = self.process.stdout.read()
        errors = self.process.stderr.read().decode("utf-8", "replace")
        status = self.process.wait()
        self._timer.cancel()
        return status, rest, errors


def converse(command: Sequence[str], chunks: List[bytes]) -> Tuple[int, List[Tuple[Dict[str, Any], bytes]], str]:
    """Send each chunk and collect its answer, stopping after a finished or failed answer, as splunkd does."""
    process = CommandProcess(command)
    answers = []
    for data in chunks:
        metadata, body = process.exchange(data)
        answers.append((metadata, body))
        if metadata.get("finished") or any(m[0] == "ERROR" for m in h.messages(metadata)):
            break
    status, rest, errors = process.finish()
    assert rest == b"", f"output after the last answer: {rest[:200]!r}"
    return status, answers, errors
