"""Simulated tenant: registered M2M clients, issued tokens and the tenant log.

Logs are stored pre-serialised (compact UTF-8 JSON) next to a small index of
the searchable top-level fields, which keeps 200,000 logs at roughly 1 KB
each and lets a checkpoint page be served without re-encoding.  As a
consequence a log dict passed to :meth:`SimulatedTenant.add_logs` is
snapshotted at that moment: later changes to the caller's dict are not seen.
"""

import base64
import bisect
import hashlib
import json
import os
import random
import secrets
import threading
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .query import _MISSING, compile_predicate, date_bounds
from .timeutil import format_date, make_log_id, now_ms, parse_date

# Fields the Auth0 log search documents as searchable (besides date / log_id).
INDEXED_FIELDS = (
    "type",
    "client_id",
    "client_name",
    "user_id",
    "user_name",
    "ip",
    "connection",
    "connection_id",
    "description",
    "hostname",
    "strategy",
    "strategy_type",
    "user_agent",
    "organization_id",
)
_INDEX_POS = {name: pos for pos, name in enumerate(INDEXED_FIELDS)}
_ID_FIELDS = ("log_id", "_id", "id")

SUPPORTED_ASSERTION_ALGS = ("RS256", "RS384", "PS256")


def _dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


@dataclass
class RegisteredClient:
    client_id: str
    scopes: list
    client_secret: str = None
    public_key: object = None
    kid: str = None
    alg: str = None
    name: str = None

    @property
    def auth_method(self):
        return "private_key_jwt" if self.public_key is not None else "client_secret_post"

    def __repr__(self):  # never show the secret
        return "RegisteredClient(client_id=%r, auth_method=%r, scopes=%r, kid=%r)" % (
            self.client_id,
            self.auth_method,
            self.scopes,
            self.kid,
        )


@dataclass
class IssuedToken:
    token: str = field(repr=False)
    client_id: str
    scopes: frozenset
    issued_at: float
    expires_at: float
    revoked: bool = False

    @property
    def expired(self):
        return self.revoked or time.time() >= self.expires_at


class _LogStore:
    """Logs sorted by log_id, held as parallel lists."""

    def __init__(self):
        self.lock = threading.RLock()
        self.ids = []  # log_id strings, ascending
        self.ts = []  # date as epoch ms
        self.raw = []  # compact JSON bytes
        self.idx = []  # tuple of INDEXED_FIELDS values
        self.pmax = []  # running max of ts (for retention skipping)
        self._date_order = None
        self._date_ts = None

    def __len__(self):
        return len(self.ids)

    def add(self, entries):
        """``entries``: list of ``(log_id, ts_ms, raw, idx)``."""
        if not entries:
            return
        with self.lock:
            ordered = all(entries[k][0] < entries[k + 1][0] for k in range(len(entries) - 1))
            if ordered and (not self.ids or entries[0][0] > self.ids[-1]):
                running = self.pmax[-1] if self.pmax else None
                for log_id, ts, raw, idx in entries:
                    self.ids.append(log_id)
                    self.ts.append(ts)
                    self.raw.append(raw)
                    self.idx.append(idx)
                    running = ts if running is None or ts > running else running
                    self.pmax.append(running)
            else:
                combined = list(zip(self.ids, self.ts, self.raw, self.idx)) + list(entries)
                combined.sort(key=lambda e: e[0])
                for k in range(len(combined) - 1):
                    if combined[k][0] == combined[k + 1][0]:
                        raise ValueError("duplicate log_id %s" % combined[k][0])
                ids, ts, raw, idx = (list(col) for col in zip(*combined))
                pmax = []
                running = None
                for value in ts:
                    running = value if running is None or value > running else running
                    pmax.append(running)
                # replace whole lists so that concurrent readers keep a consistent snapshot
                self.ids, self.ts, self.raw, self.idx, self.pmax = ids, ts, raw, idx, pmax
            self._date_order = None
            self._date_ts = None

    def snapshot(self):
        with self.lock:
            return len(self.ids), self.ids, self.ts, self.raw, self.idx, self.pmax

    def date_order(self):
        with self.lock:
            if self._date_order is None or len(self._date_order) != len(self.ids):
                ts = self.ts
                order = sorted(range(len(ts)), key=ts.__getitem__)  # stable: ties keep log_id order
                self._date_order = order
                self._date_ts = [ts[i] for i in order]
            return self._date_order, self._date_ts


class SimulatedTenant:
    """One Auth0 tenant.

    ``retention_days=None`` disables retention.  ``log_token_issuance=True``
    makes every issued token write a ``seccft`` log, as Auth0 does (off by
    default so that tests control the log content exactly).
    """

    def __init__(
        self,
        domain,
        retention_days=30,
        token_lifetime=86400,
        *,
        tenant_name=None,
        environment_name=None,
        log_id_prefix="900",
        log_token_issuance=False,
        seed=0,
    ):
        self.domain = domain.strip().lower().rstrip(".")
        self.retention_days = retention_days
        self.token_lifetime = int(token_lifetime)
        self.tenant_name = tenant_name or self.domain.split(".")[0]
        if environment_name is None:
            region = self.domain.split(".")[1] if self.domain.count(".") >= 3 else "us"
            environment_name = {
                "eu": "prod-eu-2",
                "au": "prod-au-1",
                "jp": "prod-jp-1",
                "uk": "prod-uk-1",
                "ca": "prod-ca-1",
            }.get(region, "prod-us-5")
        self.environment_name = environment_name
        if len(log_id_prefix) != 3 or not log_id_prefix.isdigit():
            raise ValueError("log_id_prefix must be 3 digits (900 for US/AU, 800 for EU)")
        self.log_id_prefix = log_id_prefix
        self.log_token_issuance = log_token_issuance
        self.clients = {}
        # Catalogue used by scenarios (applications, connections, users...) and
        # by future inventory endpoints (/api/v2/clients etc.).
        self.catalog = {}
        self._store = _LogStore()
        self._seq = 0
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._tokens = {}
        self._seen_jti = {}

    def __repr__(self):
        return "SimulatedTenant(domain=%r, logs=%d, clients=%d)" % (self.domain, len(self._store), len(self.clients))

    def __len__(self):
        return len(self._store)

    # -- derived URLs ---------------------------------------------------------
    @property
    def issuer(self):
        """``https://<domain>/``: the token ``iss`` and the client assertion ``aud``."""
        return "https://%s/" % self.domain

    @property
    def management_audience(self):
        return "https://%s/api/v2/" % self.domain

    @property
    def token_url(self):
        return "https://%s/oauth/token" % self.domain

    # -- clients --------------------------------------------------------------
    def register_client(
        self,
        client_id,
        client_secret=None,
        public_key_pem=None,
        scopes=("read:logs",),
        kid=None,
        *,
        alg=None,
        name=None,
    ):
        """Register an M2M client authorised for the Management API.

        Exactly one of ``client_secret`` (client secret auth) and
        ``public_key_pem`` (Private Key JWT; an RSA public key or certificate
        PEM) is required.  ``kid``: if set, assertions must carry that ``kid``.
        ``alg``: if set, assertions must use it (default: RS256, RS384 or
        PS256).  ``scopes``: the client grant for ``https://<domain>/api/v2/``.
        """
        if (client_secret is None) == (public_key_pem is None):
            raise ValueError("give exactly one of client_secret and public_key_pem")
        if alg is not None and alg not in SUPPORTED_ASSERTION_ALGS:
            raise ValueError("alg must be one of %s" % (SUPPORTED_ASSERTION_ALGS,))
        public_key = None
        if public_key_pem is not None:
            data = public_key_pem.encode() if isinstance(public_key_pem, str) else bytes(public_key_pem)
            if b"CERTIFICATE" in data:
                public_key = x509.load_pem_x509_certificate(data).public_key()
            else:
                public_key = serialization.load_pem_public_key(data)
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise ValueError("Auth0 Private Key JWT credentials are RSA keys")
        client = RegisteredClient(
            client_id=client_id,
            scopes=list(scopes or ()),
            client_secret=client_secret,
            public_key=public_key,
            kid=kid,
            alg=alg,
            name=name,
        )
        with self._lock:
            self.clients[client_id] = client
        return client

    # -- tokens ---------------------------------------------------------------
    def issue_token(self, client, scopes):
        now = time.time()
        jti = secrets.token_hex(16)
        header = {
            "alg": "RS256",
            "typ": "JWT",
            "kid": "auth0-sim-" + hashlib.sha1(self.domain.encode()).hexdigest()[:12],
        }
        payload = {
            "iss": self.issuer,
            "sub": "%s@clients" % client.client_id,
            "aud": self.management_audience,
            "iat": int(now),
            "exp": int(now) + self.token_lifetime,
            "scope": " ".join(scopes),
            "gty": "client-credentials",
            "azp": client.client_id,
            "jti": jti,
        }

        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

        token = ".".join(
            (
                b64(json.dumps(header, separators=(",", ":")).encode()),
                b64(json.dumps(payload, separators=(",", ":")).encode()),
                b64(os.urandom(256)),  # looks like an RS256 signature; not verifiable
            )
        )
        issued = IssuedToken(
            token=token,
            client_id=client.client_id,
            scopes=frozenset(scopes),
            issued_at=now,
            expires_at=now + self.token_lifetime,
        )
        with self._lock:
            self._tokens[token] = issued
        return issued

    def check_token(self, token):
        """Returns ``("ok" | "expired" | "unknown", IssuedToken|None)``."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return "unknown", None
        if issued.expired:
            return "expired", issued
        return "ok", issued

    def revoke_all_tokens(self):
        with self._lock:
            count = 0
            for issued in self._tokens.values():
                if not issued.revoked:
                    issued.revoked = True
                    count += 1
            return count

    @property
    def tokens_issued(self):
        with self._lock:
            return len(self._tokens)

    def _use_jti(self, client_id, jti, exp):
        """Record an assertion ``jti``; False if it was already used."""
        now = time.time()
        with self._lock:
            if len(self._seen_jti) > 10000:
                self._seen_jti = {k: v for k, v in self._seen_jti.items() if v > now - 60}
            key = (client_id, jti)
            if key in self._seen_jti:
                return False
            self._seen_jti[key] = max(float(exp), now) + 60
            return True

    # -- logs -----------------------------------------------------------------
    def _next_seq(self):
        self._seq += 1
        return self._seq

    def add_logs(self, logs, *, index_times=None):
        """Add logs shaped as ``GET /api/v2/logs`` returns them.

        Missing ``log_id``/``_id`` are assigned (and written into the given
        dicts): ``prefix`` + UTC ``yyyyMMddHHmmss`` of the indexing time (the
        log ``date`` + 0..4 s) + a 39-digit per-tenant sequence.  Within one
        call the list order is kept when dates are slightly out of order.
        ``date`` may be an ISO string, a datetime or epoch seconds/ms (then
        it is rewritten as ISO 8601 with milliseconds).  ``index_times``
        (epoch ms, one per log) overrides the indexing time.  Returns ``logs``.
        """
        logs = list(logs)
        if index_times is not None and len(index_times) != len(logs):
            raise ValueError("index_times must have one entry per log")
        entries = []
        with self._lock:
            prev_index = None
            for k, log in enumerate(logs):
                if not isinstance(log, dict):
                    raise TypeError("logs must be dicts, got %r" % type(log))
                date = log.get("date")
                if date is None:
                    ts = now_ms()
                    log["date"] = format_date(ts)
                else:
                    ts = parse_date(date)
                    if not isinstance(date, str):
                        log["date"] = format_date(ts)
                log_id = log.get("log_id") or log.get("_id")
                if not log_id:
                    if index_times is not None:
                        index_ms = int(index_times[k])
                    else:
                        index_ms = ts + self._rng.randrange(0, 1000)
                        if prev_index is not None and index_ms < prev_index <= ts + 4000:
                            index_ms = prev_index
                    prev_index = index_ms
                    log_id = make_log_id(self.log_id_prefix, index_ms, self._next_seq())
                log_id = str(log_id)
                log["log_id"] = log_id
                log.setdefault("_id", log_id)
                idx = tuple(log.get(name, _MISSING) for name in INDEXED_FIELDS)
                entries.append((log_id, ts, _dumps(log), idx))
            self._store.add(entries)
        return logs

    def add_log(self, log):
        return self.add_logs([log])[0]

    @property
    def logs(self):
        """All stored logs (retention ignored) in log_id order, as new dicts."""
        n, _ids, _ts, raw, _idx, _pmax = self._store.snapshot()
        return [json.loads(raw[i]) for i in range(n)]

    @property
    def log_ids(self):
        n, ids, *_ = self._store.snapshot()
        return ids[:n]

    def visible_logs(self):
        """Logs inside retention, log_id order, as new dicts."""
        cutoff = self.retention_cutoff_ms()
        n, _ids, ts, raw, _idx, _pmax = self._store.snapshot()
        return [json.loads(raw[i]) for i in range(n) if cutoff is None or ts[i] >= cutoff]

    def retention_cutoff_ms(self):
        if self.retention_days is None:
            return None
        return now_ms() - int(self.retention_days * 86400 * 1000)

    # -- queries used by the server ---------------------------------------------
    def _get_raw(self, log_id):
        cutoff = self.retention_cutoff_ms()
        n, ids, ts, raw, _idx, _pmax = self._store.snapshot()
        pos = bisect.bisect_left(ids, log_id, 0, n)
        if pos < n and ids[pos] == log_id and (cutoff is None or ts[pos] >= cutoff):
            return raw[pos]
        return None

    def get_log(self, log_id):
        raw = self._get_raw(log_id)
        return json.loads(raw) if raw is not None else None

    def checkpoint_page(self, from_id, take):
        """Raw logs with log_id > ``from_id`` (or the oldest retained), max ``take``."""
        cutoff = self.retention_cutoff_ms()
        n, ids, ts, raw, _idx, pmax = self._store.snapshot()
        start = bisect.bisect_right(ids, from_id, 0, n) if from_id else 0
        if cutoff is not None:
            # every log before this position is older than the cutoff
            start = max(start, bisect.bisect_left(pmax, cutoff, 0, n))
        out_raw, out_ids = [], []
        i = start
        while i < n and len(out_raw) < take:
            if cutoff is None or ts[i] >= cutoff:
                out_raw.append(raw[i])
                out_ids.append(ids[i])
            i += 1
        return out_raw, out_ids

    def search(self, node, sort_field="date", descending=True, page=0, per_page=50, want_total=False):
        """Search mode.  Returns ``(raw_logs_of_page, total_or_None)``."""
        cutoff = self.retention_cutoff_ms()
        n, ids, ts, raw, idx, _pmax = self._store.snapshot()
        docs = {}

        def get_doc(i):
            doc = docs.get(i)
            if doc is None:
                doc = json.loads(raw[i])
                if len(docs) > 4096:
                    docs.clear()
                docs[i] = doc
            return doc

        def get_field(i, name):
            pos = _INDEX_POS.get(name)
            if pos is not None:
                return idx[i][pos]
            if name in _ID_FIELDS:
                return ids[i]
            cur = get_doc(i)
            for part in name.split("."):
                if isinstance(cur, dict) and part in cur:
                    cur = cur[part]
                else:
                    return _MISSING
            return cur

        def any_field(i):
            return get_doc(i).values()

        pred = compile_predicate(node, get_field, ts.__getitem__, any_field)
        skip = page * per_page
        end = skip + per_page
        if sort_field == "date":
            order, date_ts = self._store.date_order()
            lo, hi = date_bounds(node)
            if cutoff is not None and (lo is None or cutoff > lo):
                lo = cutoff
            a = bisect.bisect_left(date_ts, lo) if lo is not None else 0
            b = bisect.bisect_right(date_ts, hi) if hi is not None else len(date_ts)
            positions = range(b - 1, a - 1, -1) if descending else range(a, b)
            matched = 0
            out = []
            for p in positions:
                i = order[p]
                if i >= n or not pred(i):
                    continue
                if skip <= matched < end:
                    out.append(raw[i])
                matched += 1
                if matched >= end and not want_total:
                    break
            return out, (matched if want_total else None)
        hits = [i for i in range(n) if (cutoff is None or ts[i] >= cutoff) and pred(i)]

        def key(i):
            value = get_field(i, sort_field)
            if value is _MISSING or value is None:
                return (0, "", ids[i])
            return (1, value if isinstance(value, str) else json.dumps(value), ids[i])

        hits.sort(key=key, reverse=descending)
        return [raw[i] for i in hits[skip:end]], len(hits)
