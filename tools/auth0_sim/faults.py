"""Deterministic fault injection for the simulator.

Usage::

    faults = FaultPlan(seed=1)
    faults.add("http_503", on_request=3)                 # 3rd request to /api/v2/logs
    faults.add("drop", every=10)                         # 10th, 20th, ... request
    faults.add("slow", probability=0.1, delay=0.5)       # seeded coin flip per request
    faults.add("http_500", path="/oauth/token", on_request=1)
    faults.add("http_429", on_request=[5, 6], reset_in=3)

Requests are counted by the plan per path, 1-based, from the moment the plan
is attached to a simulator (every request counts, whether or not a rule
exists yet; ``requests_seen(path)`` tells the current count).  ``path``
matches the request path exactly (query string ignored); a trailing ``*``
makes it a prefix (``"/api/v2/*"``), counted from when that pattern's first
rule was added.  With none of ``on_request``/``every``/``probability`` the
rule fires on every matching request.  ``times`` caps how often a rule fires.

Kinds:

``http_500`` / ``http_503``
    JSON error body (``{"statusCode":500,...}``) with rate-limit headers.
``http_502``
    An HTML body without rate-limit headers, as a load balancer would send.
``slow``
    Sleep ``delay`` seconds (default 35), then answer normally.
``drop``
    Close the TCP connection without sending any response.
``malformed_json``
    Answer normally but cut the JSON body short (only applied, and counted,
    when the normal answer is a 2xx).
``revoke_tokens``
    Invalidate every token issued so far (all tenants) before handling the
    request, which therefore fails with 401 "Expired token ...".
``http_429``
    Forced 429 with rate-limit headers, remaining 0, reset ``now + reset_in``.

Terminal kinds (5xx, ``drop``, ``http_429``) are applied before rate limiting
and authentication and do not consume a rate-limit token; at most one
terminal rule (the first added) applies per request.  ``slow``,
``revoke_tokens`` and ``malformed_json`` combine with anything.
"""

import random
import threading
from dataclasses import dataclass, field

FAULT_KINDS = (
    "http_500",
    "http_502",
    "http_503",
    "slow",
    "drop",
    "malformed_json",
    "revoke_tokens",
    "http_429",
)
TERMINAL_KINDS = frozenset(("http_500", "http_502", "http_503", "drop", "http_429"))


@dataclass
class FaultRule:
    kind: str
    path: str = "/api/v2/logs"
    on_request: frozenset = None
    every: int = None
    probability: float = None
    delay: float = 35.0
    reset_in: float = 5.0
    times: int = None
    fired: int = field(default=0)

    @property
    def terminal(self):
        return self.kind in TERMINAL_KINDS

    @property
    def exhausted(self):
        return self.times is not None and self.fired >= self.times

    def matches_path(self, path):
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


class FaultPlan:
    def __init__(self, seed=0):
        self.seed = seed
        self._rng = random.Random(seed)
        self._rules = []
        self._counters = {}
        self._fired = dict.fromkeys(FAULT_KINDS, 0)
        self._lock = threading.Lock()

    def add(
        self,
        kind,
        *,
        on_request=None,
        every=None,
        probability=None,
        path="/api/v2/logs",
        delay=35.0,
        reset_in=5.0,
        times=None,
    ):
        """Add a rule; returns the :class:`FaultRule` (its ``fired`` counts firings)."""
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(FAULT_KINDS)))
        if sum(x is not None for x in (on_request, every, probability)) > 1:
            raise ValueError("use only one of on_request, every, probability")
        if on_request is not None:
            values = [on_request] if isinstance(on_request, int) else list(on_request)
            if not values or any(int(v) < 1 for v in values):
                raise ValueError("on_request values are 1-based request numbers")
            on_request = frozenset(int(v) for v in values)
        if every is not None and int(every) < 1:
            raise ValueError("every must be >= 1")
        if probability is not None and not 0.0 <= float(probability) <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if delay is not None and float(delay) < 0:
            raise ValueError("delay must be >= 0")
        rule = FaultRule(
            kind=kind,
            path=path,
            on_request=on_request,
            every=int(every) if every is not None else None,
            probability=float(probability) if probability is not None else None,
            delay=float(delay),
            reset_in=float(reset_in),
            times=int(times) if times is not None else None,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self):
        """Remove all rules and reset counters (firing totals included)."""
        with self._lock:
            self._rules = []
            self._counters = {}
            self._fired = dict.fromkeys(FAULT_KINDS, 0)
            self._rng = random.Random(self.seed)

    @property
    def rules(self):
        with self._lock:
            return list(self._rules)

    @property
    def fired(self):
        """``{kind: times fired}`` for every kind (a copy)."""
        with self._lock:
            return dict(self._fired)

    def count(self, kind):
        with self._lock:
            return self._fired.get(kind, 0)

    def requests_seen(self, path="/api/v2/logs"):
        with self._lock:
            return self._counters.get(path, 0)

    @property
    def total_fired(self):
        with self._lock:
            return sum(self._fired.values())

    # -- used by the server ---------------------------------------------------
    def _select(self, path):
        """Count this request and return the rules that fire for it.

        Nothing is marked as fired here: the server calls :meth:`_mark_fired`
        for each rule it actually applies.
        """
        with self._lock:
            self._counters[path] = self._counters.get(path, 0) + 1
            counted = {path: self._counters[path]}
            selected = []
            for rule in self._rules:
                if not rule.matches_path(path):
                    continue
                if rule.path not in counted:  # a prefix pattern
                    key = ("prefix", rule.path)
                    self._counters[key] = self._counters.get(key, 0) + 1
                    counted[rule.path] = self._counters[key]
                n = counted[rule.path]
                if rule.exhausted:
                    continue
                if rule.on_request is not None:
                    hit = n in rule.on_request
                elif rule.every is not None:
                    hit = n % rule.every == 0
                elif rule.probability is not None:
                    hit = self._rng.random() < rule.probability
                else:
                    hit = True
                if hit:
                    selected.append(rule)
            return selected

    def _mark_fired(self, rule):
        with self._lock:
            rule.fired += 1
            self._fired[rule.kind] = self._fired.get(rule.kind, 0) + 1

    def __repr__(self):
        return "FaultPlan(seed=%r, rules=%d, fired=%r)" % (self.seed, len(self._rules), self.fired)
