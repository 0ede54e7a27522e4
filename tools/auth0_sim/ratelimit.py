"""Token-bucket rate limiting modelled on Auth0's documented behaviour.

Each (tenant, endpoint group) pair owns one bucket.  A bucket holds ``burst``
tokens, refills continuously at ``rate`` tokens per second (monotonic clock)
and every request takes one token; an empty bucket means HTTP 429.

Headers (sent on every Management API response):

* ``x-ratelimit-limit``: the bucket size (``burst``);
* ``x-ratelimit-remaining``: whole tokens left after this request;
* ``x-ratelimit-reset``: UNIX epoch seconds (integer, rounded up) at which the
  bucket will be full again.
"""

import math
import threading
import time
from dataclasses import dataclass

UNLIMITED_HEADER_LIMIT = 1000000


@dataclass(frozen=True)
class RateLimitPolicy:
    rate: float  # tokens per second
    burst: int  # bucket size
    is_unlimited: bool = False
    label: str = ""

    @classmethod
    def per_second(cls, rate, burst=None):
        burst = int(rate if burst is None else burst)
        if rate <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        return cls(rate=float(rate), burst=burst, label="per_second:%g:%d" % (rate, burst))

    @classmethod
    def per_minute(cls, rate, burst=None):
        burst = int(rate if burst is None else burst)
        if rate <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        return cls(rate=float(rate) / 60.0, burst=burst, label="per_minute:%g:%d" % (rate, burst))

    @classmethod
    def unlimited(cls):
        return cls(rate=0.0, burst=UNLIMITED_HEADER_LIMIT, is_unlimited=True, label="unlimited")

    @classmethod
    def parse(cls, spec):
        """Parse ``per_minute:100:10``, ``per_second:2:2``, ``per_second:30`` or ``unlimited``."""
        spec = (spec or "").strip().lower()
        if spec in ("unlimited", "none", "off"):
            return cls.unlimited()
        parts = spec.split(":")
        if parts[0] not in ("per_second", "per_minute") or len(parts) not in (2, 3):
            raise ValueError(
                "bad rate spec %r (want per_minute:RATE[:BURST], per_second:RATE[:BURST] or unlimited)" % spec
            )
        rate = float(parts[1])
        burst = int(parts[2]) if len(parts) == 3 else None
        return getattr(cls, parts[0])(rate, burst=burst)


class TokenBucket:
    def __init__(self, policy):
        self.policy = policy
        self._tokens = float(policy.burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def _refill(self, now):
        if self.policy.is_unlimited:
            return
        elapsed = now - self._last
        if elapsed > 0:
            self._tokens = min(float(self.policy.burst), self._tokens + elapsed * self.policy.rate)
        self._last = now

    def _headers(self, remaining_tokens):
        policy = self.policy
        wall = time.time()
        if policy.is_unlimited:
            return {
                "x-ratelimit-limit": str(policy.burst),
                "x-ratelimit-remaining": str(policy.burst),
                "x-ratelimit-reset": str(int(wall)),
            }
        deficit = max(0.0, policy.burst - remaining_tokens)
        reset = math.ceil(wall + deficit / policy.rate) if deficit > 0 else math.ceil(wall)
        return {
            "x-ratelimit-limit": str(policy.burst),
            "x-ratelimit-remaining": str(max(0, math.floor(remaining_tokens + 1e-9))),
            "x-ratelimit-reset": str(int(reset)),
        }

    def take(self):
        """Consume one token.  Returns ``(allowed, headers)``."""
        with self._lock:
            if self.policy.is_unlimited:
                return True, self._headers(self.policy.burst)
            self._refill(time.monotonic())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True, self._headers(self._tokens)
            return False, self._headers(self._tokens)

    def peek_headers(self):
        """Current headers without consuming a token (used on injected 5xx)."""
        with self._lock:
            if not self.policy.is_unlimited:
                self._refill(time.monotonic())
            return self._headers(self._tokens)

    def forced_429_headers(self, reset_in):
        """Headers for an injected 429: remaining 0, reset ``now + reset_in`` seconds."""
        return {
            "x-ratelimit-limit": str(self.policy.burst),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(math.ceil(time.time() + reset_in)),
        }

    @property
    def tokens(self):
        with self._lock:
            self._refill(time.monotonic())
            return self._tokens
