"""Pacing against Auth0's rate-limit headers, so that the add-on alone never causes a 429.

Auth0 answers every Management API call with ``x-ratelimit-limit`` (bucket size),
``x-ratelimit-remaining`` (tokens left) and ``x-ratelimit-reset`` (UNIX seconds when the bucket is
full again). The pacer turns them into two constraints and waits for the stricter one:

* the **reserve**: the add-on never draws the bucket below ``(1 - share) * limit`` tokens, so other
  clients of the tenant (the Dashboard, deploy pipelines) keep their burst;
* the **sustained rate**: the add-on spends at most ``share`` of the refill rate, through a token
  bucket of its own sized ``share * limit``.

The refill rate is not sent; it is bounded from each response as ``(limit - remaining - 1) /
(reset - sent_at)``: ``remaining`` counts whole tokens (so more than ``limit - remaining - 1`` are
missing) and ``reset`` is rounded up to whole seconds, so each bound is a lower bound and the
largest of recent bounds is a safe, quickly converging estimate. ``sent_at`` (before the server
saw the request) keeps the estimate on the safe side too. A clock offset to the server, taken from
the ``Date`` header, corrects ``reset`` when the local clock is off by more than two seconds.

Decisions only: no sleeping and no I/O here; the client sleeps for what ``delay_before_request``
returns.
"""

import collections
import email.utils
import math
from typing import Deque, Mapping, Optional, Tuple

#: How many recent lower bounds of the refill rate are kept.
_RATE_WINDOW = 64
_CLOCK_OFFSET_TOLERANCE = 2.0


class RateLimitState:
    """What the last response said about one bucket."""

    __slots__ = ("limit", "observed_at", "remaining", "reset_at")

    def __init__(self, limit: int, remaining: int, reset_at: float, observed_at: float):
        self.limit = limit
        self.remaining = remaining
        self.reset_at = reset_at
        self.observed_at = observed_at


def _int_header(headers: Mapping[str, str], name: str) -> Optional[int]:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(str(value).strip()))
    except ValueError:
        return None


class RateLimitPacer:
    """Per-bucket pacing. ``share`` is the fraction (0 < share <= 1) of the limit this add-on may use."""

    def __init__(self, share: float = 0.5):
        if not 0 < share <= 1:
            raise ValueError("rate-limit share must be in (0, 1]")
        self.share = share
        self.state: Optional[RateLimitState] = None
        self._rate_bounds: Deque[float] = collections.deque(maxlen=_RATE_WINDOW)
        self._own_tokens = 0.0
        self._own_updated_at: Optional[float] = None
        self._clock_offset = 0.0
        self.requests_observed = 0
        # (sent_at, received_at, remaining, tokens spent so far) of recent accepted requests.
        self._history: Deque[Tuple[float, float, int, int]] = collections.deque(maxlen=_RATE_WINDOW)
        self._spent = 0

    # -- estimates ---------------------------------------------------------------------------
    @property
    def refill_rate(self) -> Optional[float]:
        """Best safe estimate of the bucket's refill rate in tokens/second, None before one is known."""
        return max(self._rate_bounds) if self._rate_bounds else None

    @property
    def reserve(self) -> int:
        if self.state is None:
            return 0
        return math.ceil(self.state.limit * (1.0 - self.share) - 1e-9)

    def observe(self, headers: Mapping[str, str], sent_at: float, received_at: float, spent_token: bool = True) -> None:
        """Record the rate-limit headers of a response to a request sent at ``sent_at`` (local clock)."""
        self.requests_observed += 1
        date = headers.get("date") or headers.get("Date")
        if date:
            try:
                server_time = email.utils.parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                server_time = None
            if server_time is not None:
                # Date has one-second resolution: local - server is in (offset - 1, offset + latency].
                offset = received_at - server_time
                self._clock_offset = offset if abs(offset) > _CLOCK_OFFSET_TOLERANCE else 0.0
        limit = _int_header(headers, "x-ratelimit-limit")
        remaining = _int_header(headers, "x-ratelimit-remaining")
        reset = _int_header(headers, "x-ratelimit-reset")
        if limit is None or remaining is None or reset is None or limit <= 0:
            self._spend_own_token(sent_at)
            return
        remaining = max(0, min(remaining, limit))
        if self.state is not None and self.state.limit != limit:
            self._history.clear()
            self._rate_bounds.clear()
        reset_local = reset + self._clock_offset
        self.state = RateLimitState(limit, remaining, reset_local, received_at)
        # remaining is whole tokens (rounded down), so at least limit - remaining - 1 are missing.
        missing = limit - remaining - 1
        if missing > 0 and reset_local > sent_at:
            self._add_rate_bound(missing / (reset_local - sent_at))
        if spent_token:
            # Between an earlier response and this one the bucket gained more than
            # remaining - earlier remaining - 1 + tokens spent since: a tighter bound over a long span.
            self._spent += 1
            if self._history:
                first_sent, _, first_remaining, first_spent = self._history[0]
                gained = remaining - first_remaining - 1 + (self._spent - first_spent)
                if gained > 0 and received_at > first_sent:
                    self._add_rate_bound(gained / (received_at - first_sent))
            self._history.append((sent_at, received_at, remaining, self._spent))
        if self._own_updated_at is None:
            # First sight of the bucket: the add-on's own share of it, less what is already spent.
            self._own_tokens = min(self._own_capacity(), float(remaining) + 1.0)
            self._own_updated_at = sent_at
        self._spend_own_token(sent_at)

    def _add_rate_bound(self, bound: float) -> None:
        # Only bounds above the estimate inform it; smaller ones would just push good ones out.
        if not self._rate_bounds or bound > max(self._rate_bounds):
            self._rate_bounds.append(bound)

    def observe_rejection(self, headers: Mapping[str, str], sent_at: float, received_at: float) -> float:
        """Record a 429 and return how long to wait before the same request may be retried.
        The estimates are dropped: the limit changed, or something else spends the bucket."""
        self._rate_bounds.clear()
        self._history.clear()
        self.observe(headers, sent_at, received_at, spent_token=False)
        self._own_tokens = 0.0
        if self.state is not None and self.state.reset_at > received_at:
            return self.state.reset_at - received_at
        return 1.0

    # -- decisions ---------------------------------------------------------------------------
    def _own_capacity(self) -> float:
        return max(1.0, self.share * self.state.limit) if self.state else 1.0

    def _refill_own(self, now: float) -> None:
        rate = self.refill_rate
        if self._own_updated_at is None:
            self._own_tokens = self._own_capacity()
        elif rate is not None and now > self._own_updated_at:
            self._own_tokens = min(
                self._own_capacity(), self._own_tokens + (now - self._own_updated_at) * rate * self.share
            )
        self._own_updated_at = now

    def _spend_own_token(self, sent_at: float) -> None:
        self._refill_own(sent_at)
        self._own_tokens -= 1.0

    def delay_before_request(self, now: float) -> float:
        """Seconds to wait before the next request so that neither constraint is broken."""
        if self.state is None:
            return 0.0
        rate = self.refill_rate
        # Tokens the server bucket holds now, refilled since it was observed.
        server_tokens = float(self.state.remaining)
        if rate is not None:
            server_tokens = min(self.state.limit, server_tokens + (now - self.state.observed_at) * rate)
        elif self.state.remaining <= self.reserve:
            # No rate known yet: the bucket is surely full again at reset.
            return max(0.0, self.state.reset_at - now)
        delay = 0.0
        needed = self.reserve + 1 - server_tokens
        if needed > 0 and rate:
            delay = needed / rate
        if self.share >= 1.0:
            return delay  # the whole bucket may be used: the server's tokens are the only limit
        self._refill_own(now)
        if self._own_tokens < 1.0 and rate:
            delay = max(delay, (1.0 - self._own_tokens) / (rate * self.share))
        return delay
