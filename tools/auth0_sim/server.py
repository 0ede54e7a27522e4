"""The HTTP(S) server: ``Auth0Simulator``."""

import base64
import contextlib
import hmac
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .faults import FaultPlan
from .inventory import CLIENT_SCOPES, InventoryRoutes
from .jwtverify import ASSERTION_TYPE, AssertionError_, unverified_claims, verify_client_assertion
from .query import QueryError, parse_query
from .ratelimit import RateLimitPolicy, TokenBucket
from .resolver_site import auth0_sim_resolver as _resolver
from .timeutil import format_date, now_ms

RESOLVER_SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resolver_site")
RESOLVE_ENV_VAR = _resolver.ENV_VAR

LOG_SCOPES = ("read:logs", "read:logs_users")
MAX_BODY = 1024 * 1024

TOO_MANY_REQUESTS = {
    "statusCode": 429,
    "error": "Too Many Requests",
    "message": "Global limit has been reached",
    "errorCode": "too_many_requests",
}
EXPIRED_TOKEN = {
    "statusCode": 401,
    "error": "Unauthorized",
    "message": "Expired token received for JSON Web Token validation",
    "attributes": {"error": "Expired token received for JSON Web Token validation"},
}
MISSING_AUTH = {"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"}
BAD_AUTH_HEADER = {"statusCode": 401, "error": "Unauthorized", "message": "Bad HTTP authentication header format"}
INVALID_TOKEN = {
    "statusCode": 401,
    "error": "Unauthorized",
    "message": "Invalid token",
    "attributes": {"error": "Invalid token"},
}
NOT_FOUND = {"statusCode": 404, "error": "Not Found", "message": "Not Found"}


def _json_bytes(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    error_code: str = None


def _json(status, obj, headers=None):
    code = obj.get("errorCode") or obj.get("error") if isinstance(obj, dict) else None
    return Response(status, _json_bytes(obj), dict(headers or {}), error_code=code if status >= 400 else None)


def _api_error(status, error, message, error_code=None, headers=None):
    body = {"statusCode": status, "error": error, "message": message}
    if error_code:
        body["errorCode"] = error_code
    return _json(status, body, headers)


def _bad_request(message, error_code="invalid_query_string", headers=None):
    return _api_error(400, "Bad Request", message, error_code, headers)


DROP = object()


def _param_str(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value)


# -- request records / stats ----------------------------------------------------

_REDACTED = "[REDACTED]"
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key"}
_SECRET_PARAMS = {
    "client_secret",
    "client_assertion",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "code",
    "token",
    "code_verifier",
}


def _redact_headers(headers):
    out = {}
    for key, value in headers.items():
        low = key.lower()
        if low in _SECRET_HEADERS:
            scheme = value.split(None, 1)[0] if low.endswith("authorization") and " " in value.strip() else ""
            out[key] = (scheme + " " + _REDACTED).strip()
        else:
            out[key] = value
    return out


def _redact_query(query):
    out = {}
    for key, values in query.items():
        if key.lower() in _SECRET_PARAMS:
            out[key] = _REDACTED
        else:
            out[key] = values[0] if len(values) == 1 else list(values)
    return out


@dataclass
class RequestRecord:
    """One request as seen by the simulator (never holds secrets or assertions)."""

    method: str
    path: str
    query: dict
    status: int  # None when the connection was dropped
    time: float  # epoch seconds when the request arrived
    headers: dict  # Authorization/Cookie values redacted
    tenant: str = None
    duration: float = 0.0
    faults: list = field(default_factory=list)
    error_code: str = None
    token_request: dict = None  # grant_type, client_id, client_assertion_type, audience, scope, ...
    client_id: str = None  # client of the bearer token on /api/v2 requests
    response_headers: dict = field(default_factory=dict)  # rate-limit and Link headers

    @property
    def fault(self):
        return self.faults[0] if self.faults else None


class SimulatorStats:
    """Counters and request records.  ``stats.count_429`` (any status) works."""

    def __init__(self, max_records=200000):
        self._lock = threading.Lock()
        self.max_records = max_records
        self.clear()

    def clear(self):
        with self._lock:
            self.requests = 0
            self.by_path = Counter()
            self.status_counts = Counter()
            self.token_requests = 0
            self.tokens_issued = 0
            self.dropped = 0
            self.faults = Counter()
            self.records = []

    @property
    def status(self):
        return self.status_counts

    def count(self, status):
        return self.status_counts.get(status, 0)

    def __getattr__(self, name):
        if name.startswith("count_") and name[6:].isdigit():
            return self.count(int(name[6:]))
        raise AttributeError(name)

    def _add(self, record):
        with self._lock:
            self.requests += 1
            self.by_path[record.path] += 1
            if record.status is None:
                self.dropped += 1
            else:
                self.status_counts[record.status] += 1
            if record.path == "/oauth/token":
                self.token_requests += 1
                if record.status == 200:
                    self.tokens_issued += 1
            for kind in record.faults:
                self.faults[kind] += 1
            if len(self.records) < self.max_records:
                self.records.append(record)

    def records_for(self, path=None, status=None, method=None):
        with self._lock:
            records = list(self.records)
        return [
            r
            for r in records
            if (path is None or r.path == path)
            and (status is None or r.status == status)
            and (method is None or r.method == method)
        ]

    def summary(self):
        with self._lock:
            return {
                "requests": self.requests,
                "by_path": dict(self.by_path),
                "status": dict(self.status_counts),
                "token_requests": self.token_requests,
                "tokens_issued": self.tokens_issued,
                "dropped": self.dropped,
                "faults": dict(self.faults),
            }

    def __repr__(self):
        return "SimulatorStats(%r)" % (self.summary(),)


# -- routing --------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A Management API route.  ``group`` names the rate-limit bucket."""

    method: str
    pattern: object
    group: str
    scopes: tuple
    handler: str  # name of an Auth0Simulator method taking (ctx) -> Response


# Unmatched /api/v2 paths answer 404 JSON. The inventory handlers live in inventory.InventoryRoutes.
ROUTES = [
    Route("GET", re.compile(r"^/api/v2/logs/?$"), "logs", LOG_SCOPES, "_api_logs_list"),
    Route("GET", re.compile(r"^/api/v2/logs/(?P<log_id>[^/]+)$"), "logs", LOG_SCOPES, "_api_logs_get"),
    Route("GET", re.compile(r"^/api/v2/clients/?$"), "clients", CLIENT_SCOPES, "_api_clients_list"),
    Route(
        "GET",
        re.compile(r"^/api/v2/client-grants/?$"),
        "client_grants",
        ("read:client_grants",),
        "_api_client_grants_list",
    ),
    Route(
        "GET",
        re.compile(r"^/api/v2/resource-servers/?$"),
        "resource_servers",
        ("read:resource_servers",),
        "_api_resource_servers_list",
    ),
    Route("GET", re.compile(r"^/api/v2/connections/?$"), "connections", ("read:connections",), "_api_connections_list"),
    Route("GET", re.compile(r"^/api/v2/actions/actions/?$"), "actions", ("read:actions",), "_api_actions_list"),
    Route(
        "GET",
        re.compile(r"^/api/v2/actions/triggers/(?P<trigger_id>[^/]+)/bindings/?$"),
        "actions",
        ("read:actions",),
        "_api_action_bindings",
    ),
    Route("GET", re.compile(r"^/api/v2/roles/?$"), "roles", ("read:roles",), "_api_roles_list"),
    Route(
        "GET",
        re.compile(r"^/api/v2/roles/(?P<role_id>[^/]+)/permissions/?$"),
        "roles",
        ("read:roles",),
        "_api_role_permissions",
    ),
    Route(
        "GET",
        re.compile(r"^/api/v2/tenants/settings/?$"),
        "tenant_settings",
        ("read:tenant_settings",),
        "_api_tenant_settings",
    ),
]


@dataclass
class _Ctx:
    method: str
    path: str
    query: dict  # name -> list of values
    headers: object
    body: bytes
    tenant: object
    record: RequestRecord
    params: dict = field(default_factory=dict)
    token: object = None
    rate_headers: dict = field(default_factory=dict)

    def arg(self, name):
        values = self.query.get(name)
        return values[-1] if values else None


# -- HTTP plumbing ----------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "auth0-sim/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls

    def version_string(self):
        return self.server_version

    def setup(self):
        server = self.server
        with contextlib.suppress(OSError):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if server.ssl_context is not None:
            self.request.settimeout(15)
            self.request = server.ssl_context.wrap_socket(self.request, server_side=True)
        server._track(self.request, True)
        super().setup()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server._track(self.request, False)
            if self.server.ssl_context is not None:
                with contextlib.suppress(OSError):
                    self.request.close()

    def handle(self):
        try:
            super().handle()
        except (OSError, ssl.SSLError, ValueError):
            self.close_connection = True

    def log_message(self, format, *args):
        if os.environ.get("AUTH0_SIM_DEBUG"):
            sys.stderr.write("auth0-sim: " + (format % args) + "\n")

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self):
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(_api_error(413, "Payload Too Large", "request body too large"))
            return
        response = self.server.sim._process(self.command, self.path, self.headers, body)
        if response is DROP:
            self.close_connection = True
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.request, socket.SHUT_RDWR)
            return
        self._send(response)

    def _send(self, response):
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # headers and body in one write (avoids Nagle / delayed-ACK stalls on keep-alive)
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(response.body)
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim, ssl_context):
        self.sim = sim
        self.ssl_context = ssl_context
        self._conns = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def _track(self, sock, add):
        with self._conns_lock:
            if add:
                self._conns.add(sock)
            else:
                self._conns.discard(sock)

    def close_all_connections(self):
        with self._conns_lock:
            conns = list(self._conns)
        for sock in conns:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def handle_error(self, request, client_address):
        if os.environ.get("AUTH0_SIM_DEBUG"):
            super().handle_error(request, client_address)


# -- the simulator ----------------------------------------------------------------


class Auth0Simulator(InventoryRoutes):
    """Serves one or more :class:`SimulatedTenant` over HTTPS on 127.0.0.1.

    ``rate_limit`` applies to every Management API endpoint group (the logs
    endpoints share one bucket per tenant); default: unlimited.
    ``token_rate_limit`` is the ``/oauth/token`` bucket (default 30/s, burst
    30).  ``group_rate_limits`` overrides single groups (``{"logs": ...}``).
    """

    def __init__(
        self,
        tenants,
        rate_limit=None,
        faults=None,
        tls=True,
        *,
        host="127.0.0.1",
        port=0,
        token_rate_limit=None,
        group_rate_limits=None,
        max_records=200000,
    ):
        self.tenants = list(tenants)
        if not self.tenants:
            raise ValueError("at least one tenant is required")
        self._by_domain = {}
        for tenant in self.tenants:
            if tenant.domain in self._by_domain:
                raise ValueError("duplicate tenant domain %s" % tenant.domain)
            self._by_domain[tenant.domain] = tenant
        self.rate_limit = rate_limit or RateLimitPolicy.unlimited()
        self.token_rate_limit = token_rate_limit or RateLimitPolicy.per_second(30, burst=30)
        self.group_rate_limits = dict(group_rate_limits or {})
        self.faults = faults if faults is not None else FaultPlan(seed=0)
        self.tls = tls
        self.host = host
        self._requested_port = port
        self.stats = SimulatorStats(max_records=max_records)
        self._buckets = {}
        self._buckets_lock = threading.Lock()
        self._server = None
        self._thread = None
        self._stopping = threading.Event()
        self._cert_dir = None
        self._cert_cleanup = None
        self.ca_bundle_path = None
        self.cert_path = None
        self.port = None

    # -- lifecycle --------------------------------------------------------------
    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        context = None
        if self.tls:
            from .tlsutil import generate_ca_and_server_cert

            self._remove_cert_dir()
            self._cert_dir = tempfile.mkdtemp(prefix="auth0-sim-")
            # the CA file stays usable after stop(); it is removed with the simulator object
            self._cert_cleanup = weakref.finalize(self, shutil.rmtree, self._cert_dir, True)
            names = [t.domain for t in self.tenants] + ["localhost"]
            ips = ["127.0.0.1"]
            if self.host not in ("127.0.0.1", "0.0.0.0", "::", "", "localhost"):
                try:
                    ipaddress.ip_address(self.host)
                    ips.append(self.host)
                except ValueError:
                    names.append(self.host)
            self.ca_bundle_path, self.cert_path, key_path = generate_ca_and_server_cert(self._cert_dir, names, ips)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(self.cert_path, key_path)
        self._server = _Server((self.host, self._requested_port), self, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="auth0-sim-%d" % self.port,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def _remove_cert_dir(self):
        if self._cert_cleanup is not None:
            self._cert_cleanup()
            self._cert_cleanup = None
        self._cert_dir = None

    def cleanup(self):
        """Stop and delete the temporary CA/certificate files."""
        self.stop()
        self._remove_cert_dir()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def running(self):
        return self._server is not None

    # -- helpers for tests ------------------------------------------------------
    @property
    def scheme(self):
        return "https" if self.tls else "http"

    def tenant(self, domain=None):
        if domain is None:
            return self.tenants[0]
        return self._by_domain[domain.lower()]

    def url(self, path="/", domain=None):
        """``https://<domain><path>`` (resolve with :meth:`resolve_domains`)."""
        return "%s://%s%s" % (self.scheme, self.tenant(domain).domain, path)

    @property
    def local_url(self):
        """``https://127.0.0.1:<port>`` (the first tenant answers unknown hosts)."""
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def _require_port(self):
        if self.port is None:
            raise RuntimeError("start the simulator first")

    @property
    def resolve_map(self):
        self._require_port()
        return {t.domain: ("127.0.0.1", self.port) for t in self.tenants}

    @property
    def resolve_spec(self):
        """Value for ``AUTH0_SIM_RESOLVE``: ``dom=127.0.0.1:PORT,...``."""
        return _resolver.format_spec(self.resolve_map)

    @contextlib.contextmanager
    def resolve_domains(self):
        """In this process, make every tenant domain (any port) resolve to the simulator."""
        token = _resolver.install(self.resolve_map)
        try:
            yield self
        finally:
            _resolver.uninstall(token)

    def child_env(self, base=None):
        """Environment variables for a child Python process (see module docs).

        Returns only the variables to set (``PYTHONPATH`` already merged with
        the current one) unless ``base`` is given, in which case a copy of
        ``base`` updated with them is returned.  Use it as
        ``env={**os.environ, **sim.child_env()}`` or ``sim.child_env(os.environ)``.
        """
        env = {} if base is None else dict(base)
        source = os.environ if base is None else env
        existing = [p for p in (source.get("PYTHONPATH") or "").split(os.pathsep) if p]
        if RESOLVER_SITE_DIR not in existing:
            existing.insert(0, RESOLVER_SITE_DIR)
        env["PYTHONPATH"] = os.pathsep.join(existing)
        env[RESOLVE_ENV_VAR] = self.resolve_spec
        if self.ca_bundle_path:
            env["AUTH0_SIM_CA_BUNDLE"] = self.ca_bundle_path
        for name in ("NO_PROXY", "no_proxy"):
            current = [p for p in (source.get(name) or "").split(",") if p]
            for item in [t.domain for t in self.tenants] + ["127.0.0.1", "localhost"]:
                if item not in current:
                    current.append(item)
            env[name] = ",".join(current)
        return env

    def reset_stats(self):
        self.stats.clear()

    def revoke_all_tokens(self):
        return sum(t.revoke_all_tokens() for t in self.tenants)

    def bucket(self, domain, group):
        """The :class:`TokenBucket` of a tenant's endpoint group (created lazily)."""
        key = (domain, group)
        with self._buckets_lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if group == "oauth_token":
                    policy = self.token_rate_limit
                else:
                    policy = self.group_rate_limits.get(group, self.rate_limit)
                bucket = self._buckets[key] = TokenBucket(policy)
            return bucket

    def reset_rate_limits(self):
        with self._buckets_lock:
            self._buckets.clear()

    # -- request processing ----------------------------------------------------
    def _tenant_for_host(self, host_header):
        host = (host_header or "").strip().lower()
        if host.startswith("["):
            host = host[1:].split("]", 1)[0]
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]
        tenant = self._by_domain.get(host.rstrip("."))
        if tenant is None and len(self.tenants) == 1:
            tenant = self.tenants[0]
        return tenant

    def _process(self, method, raw_path, headers, body):
        started = time.time()
        split = urlsplit(raw_path)
        path = split.path or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        tenant = self._tenant_for_host(headers.get("Host"))
        record = RequestRecord(
            method=method,
            path=path,
            query=_redact_query(query),
            status=None,
            time=started,
            headers=_redact_headers(headers),
            tenant=tenant.domain if tenant else None,
        )
        response = None
        try:
            rules = self.faults._select(path)
            terminal = next((r for r in rules if r.terminal), None)
            for rule in rules:
                if rule.kind == "slow":
                    self.faults._mark_fired(rule)
                    record.faults.append("slow")
                    self._stopping.wait(rule.delay)
            for rule in rules:
                if rule.kind == "revoke_tokens":
                    self.faults._mark_fired(rule)
                    record.faults.append("revoke_tokens")
                    self.revoke_all_tokens()
            if terminal is not None:
                self.faults._mark_fired(terminal)
                record.faults.append(terminal.kind)
                response = self._terminal_fault(terminal, path, tenant)
            else:
                response = self._route(method, path, query, headers, body, tenant, record)
                malformed = next((r for r in rules if r.kind == "malformed_json"), None)
                if malformed is not None and response is not DROP and 200 <= response.status < 300:
                    self.faults._mark_fired(malformed)
                    record.faults.append("malformed_json")
                    cut = max(1, len(response.body) // 2)
                    if response.body[:cut].endswith(b"]") or response.body[:cut].endswith(b"}"):
                        cut -= 1
                    response.body = response.body[:cut]
            return response
        except Exception as exc:  # pragma: no cover - a simulator bug, answer 500 visibly
            sys.stderr.write("auth0-sim: internal error handling %s %s: %r\n" % (method, path, exc))
            import traceback

            traceback.print_exc()
            response = _api_error(500, "Internal Server Error", "auth0-sim internal error: %r" % (exc,))
            return response
        finally:
            if response is not None and response is not DROP:
                record.status = response.status
                record.error_code = response.error_code
                record.response_headers = {
                    k: v
                    for k, v in response.headers.items()
                    if k.lower().startswith("x-ratelimit") or k.lower() == "link"
                }
            record.duration = time.time() - started
            self.stats._add(record)

    def _group_for(self, method, path):
        if path == "/oauth/token":
            return "oauth_token"
        for route in ROUTES:
            if route.pattern.match(path):
                return route.group
        return "other"

    def _terminal_fault(self, rule, path, tenant):
        kind = rule.kind
        if kind == "drop":
            return DROP
        is_api = path.startswith("/api/v2")
        bucket = self.bucket(tenant.domain, self._group_for("GET", path)) if tenant else None
        if kind == "http_502":
            body = (
                b"<html><head><title>502 Bad Gateway</title></head>"
                b"<body><center><h1>502 Bad Gateway</h1></center></body></html>\n"
            )
            return Response(502, body, {}, content_type="text/html", error_code="bad_gateway")
        headers = bucket.peek_headers() if (bucket and (is_api or path == "/oauth/token")) else {}
        if kind == "http_429":
            headers = bucket.forced_429_headers(rule.reset_in) if bucket else {}
            if path == "/oauth/token":
                return _json(
                    429, {"error": "too_many_requests", "error_description": "Global limit has been reached"}, headers
                )
            return _json(429, TOO_MANY_REQUESTS, headers)
        status = int(kind.split("_")[1])
        if path == "/oauth/token":
            return _json(
                status, {"error": "server_error", "error_description": "Injected HTTP %d (auth0-sim)" % status}, headers
            )
        error = {500: "Internal Server Error", 503: "Service Unavailable"}[status]
        return _api_error(status, error, "Injected HTTP %d (auth0-sim)" % status, None, headers)

    def _route(self, method, path, query, headers, body, tenant, record):
        if tenant is None:
            return _api_error(404, "Not Found", "Unknown tenant host %r" % (headers.get("Host"),))
        if path == "/oauth/token":
            return self._oauth_token(method, query, headers, body, tenant, record)
        if not path.startswith("/api/v2/") and path != "/api/v2":
            return _json(404, NOT_FOUND)
        route, params = None, {}
        for candidate in ROUTES:
            m = candidate.pattern.match(path)
            if m and candidate.method == method:
                route, params = candidate, m.groupdict()
                break
        group = route.group if route else "other"
        allowed, rate_headers = self.bucket(tenant.domain, group).take()
        if not allowed:
            return _json(429, TOO_MANY_REQUESTS, rate_headers)
        ctx = _Ctx(method, path, query, headers, body, tenant, record, params=params, rate_headers=rate_headers)
        denied = self._authenticate(ctx, route)
        if denied is not None:
            return denied
        if route is None:
            return _json(404, NOT_FOUND, rate_headers)
        response = getattr(self, route.handler)(ctx)
        merged = dict(rate_headers)
        merged.update(response.headers)
        response.headers = merged
        return response

    def _authenticate(self, ctx, route):
        auth = ctx.headers.get("Authorization")
        if not auth:
            return _json(401, MISSING_AUTH, ctx.rate_headers)
        scheme, _, token = auth.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _json(401, BAD_AUTH_HEADER, ctx.rate_headers)
        state, issued = ctx.tenant.check_token(token)
        if state == "unknown":
            return _json(401, INVALID_TOKEN, ctx.rate_headers)
        if state == "expired":
            return _json(401, EXPIRED_TOKEN, ctx.rate_headers)
        ctx.token = issued
        ctx.record.client_id = issued.client_id
        if route is not None and route.scopes and not (issued.scopes & set(route.scopes)):
            return _json(
                403,
                {
                    "statusCode": 403,
                    "error": "Forbidden",
                    "message": "Insufficient scope, expected any of: %s" % ",".join(route.scopes),
                    "errorCode": "insufficient_scope",
                },
                ctx.rate_headers,
            )
        return None

    # -- /oauth/token ------------------------------------------------------------
    def _oauth_token(self, method, query, headers, body, tenant, record):
        if method != "POST":
            return _json(404, NOT_FOUND)
        allowed, rate_headers = self.bucket(tenant.domain, "oauth_token").take()
        extra = dict(rate_headers)
        extra.update({"Cache-Control": "no-store", "Pragma": "no-cache"})

        def oauth_error(status, error, description):
            record.token_request["outcome"] = error
            return _json(status, {"error": error, "error_description": description}, extra)

        content_type = (headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        params = {}
        parse_error = None
        try:
            if content_type == "application/json":
                loaded = json.loads(body.decode("utf-8") or "{}")
                if not isinstance(loaded, dict):
                    raise ValueError("JSON body must be an object")
                params = {k: _param_str(v) for k, v in loaded.items()}
            else:
                params = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except (ValueError, UnicodeDecodeError) as exc:
            parse_error = str(exc)

        basic_id = basic_secret = None
        auth = headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
                basic_id, _, basic_secret = decoded.partition(":")
                basic_id, basic_secret = unquote(basic_id), unquote(basic_secret)
            except Exception:
                basic_id = basic_secret = None

        assertion = params.get("client_assertion") or ""
        client_id = params.get("client_id") or basic_id
        if not client_id and assertion:
            client_id = unverified_claims(assertion).get("iss")
        record.token_request = {
            "grant_type": params.get("grant_type"),
            "client_id": client_id if isinstance(client_id, str) else None,
            "client_assertion_type": params.get("client_assertion_type"),
            "audience": params.get("audience"),
            "scope": params.get("scope"),
            "content_type": content_type or None,
            "auth_method": None,
            "outcome": None,
        }
        if not allowed:
            record.token_request["outcome"] = "too_many_requests"
            return _json(
                429, {"error": "too_many_requests", "error_description": "Global limit has been reached"}, extra
            )
        if parse_error is not None:
            return oauth_error(400, "invalid_request", "Could not parse the request body: %s" % parse_error)

        grant_type = params.get("grant_type")
        if not grant_type:
            return oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
        if grant_type != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "Unsupported grant type: %s" % grant_type)

        secret = params.get("client_secret") or basic_secret
        has_assertion = bool(assertion or params.get("client_assertion_type"))
        if secret and has_assertion:
            return oauth_error(
                400,
                "invalid_request",
                "Multiple client authentication methods were used (client_secret and client_assertion); use only one",
            )
        if has_assertion:
            record.token_request["auth_method"] = "private_key_jwt"
            if params.get("client_assertion_type") != ASSERTION_TYPE:
                return oauth_error(400, "invalid_request", "client_assertion_type must be %s" % ASSERTION_TYPE)
            if not assertion:
                return oauth_error(400, "invalid_request", "Missing required parameter: client_assertion")
            try:
                client, _claims = verify_client_assertion(tenant, assertion, form_client_id=params.get("client_id"))
            except AssertionError_ as exc:
                return oauth_error(exc.status, exc.error, exc.description)
        else:
            record.token_request["auth_method"] = (
                "client_secret_basic" if basic_secret and not params.get("client_secret") else "client_secret_post"
            )
            client = tenant.clients.get(client_id) if client_id else None
            if (
                client is None
                or client.client_secret is None
                or not secret
                or not hmac.compare_digest(client.client_secret.encode("utf-8"), secret.encode("utf-8"))
            ):
                return oauth_error(401, "access_denied", "Unauthorized")

        audience = params.get("audience")
        if not audience:
            return oauth_error(
                403, "access_denied", "No audience parameter was provided, and no default audience has been configured"
            )
        if audience != tenant.management_audience:
            return oauth_error(403, "access_denied", "Service not enabled within domain: %s" % audience)
        if not client.scopes:
            return oauth_error(
                403,
                "access_denied",
                'Client is not authorized to access "%s". You need to create a "client-grant" associated to this API.'
                % tenant.management_audience,
            )
        requested = (params.get("scope") or "").split()
        if requested:
            missing = [s for s in requested if s not in client.scopes]
            if missing:
                return oauth_error(403, "access_denied", "Client has not been granted scopes: %s" % " ".join(missing))
            granted = list(dict.fromkeys(requested))
        else:
            granted = list(client.scopes)
        issued = tenant.issue_token(client, granted)
        record.token_request["outcome"] = "issued"
        record.token_request["granted_scope"] = " ".join(granted)
        record.token_request["expires_in"] = tenant.token_lifetime
        if tenant.log_token_issuance:
            self._log_seccft(tenant, client, granted, headers)
        return _json(
            200,
            {
                "access_token": issued.token,
                "expires_in": tenant.token_lifetime,
                "scope": " ".join(granted),
                "token_type": "Bearer",
            },
            extra,
        )

    def _log_seccft(self, tenant, client, granted, headers):
        ts = now_ms()
        tenant.add_logs(
            [
                {
                    "date": format_date(ts),
                    "type": "seccft",
                    "description": "Client Credentials for Access Token",
                    "connection_id": "",
                    "client_id": client.client_id,
                    "client_name": client.name or "",
                    "ip": "127.0.0.1",
                    "client_ip": "127.0.0.1",
                    "user_agent": "Other 0.0.0 / Other 0.0.0",
                    "hostname": tenant.domain,
                    "user_id": "",
                    "user_name": "",
                    "audience": tenant.management_audience,
                    "scope": " ".join(granted),
                    "$event_schema": {"version": "1.0.0"},
                    "environment_name": tenant.environment_name,
                    "tenant_name": tenant.tenant_name,
                    "isMobile": False,
                    "details": {},
                }
            ]
        )

    # -- /api/v2/logs ----------------------------------------------------------------
    def _int_param(self, ctx, name, default, minimum, maximum, description):
        raw = ctx.arg(name)
        if raw is None or raw == "":
            return default, None
        if not re.fullmatch(r"-?\d+", raw.strip()):
            return None, _bad_request(
                "Query validation error: 'Expected type integer but found type string' on property %s (%s)."
                % (name, description)
            )
        value = int(raw)
        if value < minimum:
            return None, _bad_request(
                "Query validation error: 'Value %d is less than minimum of %d' on property %s (%s)."
                % (value, minimum, name, description)
            )
        if maximum is not None and value > maximum:
            return None, _bad_request(
                "Query validation error: 'Value %d is greater than maximum of %d' on property %s (%s)."
                % (value, maximum, name, description)
            )
        return value, None

    def _api_logs_list(self, ctx):
        if "from" in ctx.query or "take" in ctx.query:
            return self._logs_checkpoint(ctx)
        return self._logs_search(ctx)

    def _logs_checkpoint(self, ctx):
        take, error = self._int_param(
            ctx,
            "take",
            50,
            1,
            100,
            "The total amount of entries to retrieve when using the from parameter. Default 50, max 100",
        )
        if error:
            return error
        from_id = ctx.arg("from") or None
        raws, ids = ctx.tenant.checkpoint_page(from_id, take)
        next_from = ids[-1] if ids else from_id
        link_query = urlencode([("from", next_from), ("take", take)] if next_from else [("take", take)])
        link = '<%s://%s/api/v2/logs?%s>; rel="next"' % (self.scheme, ctx.tenant.domain, link_query)
        return Response(200, b"[" + b",".join(raws) + b"]", {"Link": link})

    def _logs_search(self, ctx):
        page, error = self._int_param(ctx, "page", 0, 0, None, "Page index of the results to return. First page is 0.")
        if error:
            return error
        per_page, error = self._int_param(
            ctx, "per_page", 50, 0, 100, "Number of results per page. Paging is disabled if parameter not sent."
        )
        if error:
            return error
        if (page + 1) * per_page > 1000:
            return _bad_request(
                "You can only page through the first 1000 records. Please consider using the from parameter instead.",
                "invalid_paging",
            )
        sort = ctx.arg("sort") or "date:-1"
        m = re.fullmatch(r"([A-Za-z_$][\w.$]*):(-?1)", sort.strip())
        if not m:
            return _bad_request(
                "Query validation error: 'String does not match pattern "
                "^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: %s' on property sort." % sort
            )
        sort_field, descending = m.group(1), m.group(2) == "-1"
        flags = {}
        for name, default in (("include_totals", False), ("include_fields", True)):
            raw = ctx.arg(name)
            if raw in (None, ""):
                flags[name] = default
            elif raw.lower() in ("true", "false"):
                flags[name] = raw.lower() == "true"
            else:
                return _bad_request(
                    "Query validation error: 'Expected type boolean but found type string' on property %s." % name
                )
        q = ctx.arg("q")
        if q is None:
            q = ctx.arg("search")  # the Fern SDKs send `search`
        try:
            node = parse_query(q) if q else None
        except QueryError as exc:
            return _bad_request("Query is not valid: %s" % exc, "invalid_query")
        raws, total = ctx.tenant.search(
            node,
            sort_field=sort_field,
            descending=descending,
            page=page,
            per_page=per_page,
            want_total=flags["include_totals"],
        )
        fields = [f.strip() for f in (ctx.arg("fields") or "").split(",") if f.strip()]
        if fields:
            projected = []
            for raw in raws:
                doc = json.loads(raw)
                if flags["include_fields"]:
                    doc = {k: v for k, v in doc.items() if k in fields}
                else:
                    doc = {k: v for k, v in doc.items() if k not in fields}
                projected.append(_json_bytes(doc))
            raws = projected
        logs = b"[" + b",".join(raws) + b"]"
        if flags["include_totals"]:
            head = '{"start":%d,"limit":%d,"length":%d,"total":%d,"logs":' % (
                page * per_page,
                per_page,
                len(raws),
                total,
            )
            return Response(200, head.encode("ascii") + logs + b"}")
        return Response(200, logs)

    def _api_logs_get(self, ctx):
        raw = ctx.tenant._get_raw(ctx.params["log_id"])
        if raw is None:
            return _api_error(404, "Not Found", "log not found", "inexistent_log")
        return Response(200, raw)
