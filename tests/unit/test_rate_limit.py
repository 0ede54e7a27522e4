"""The pacer against a model of Auth0's token bucket, on a simulated clock."""

import math

import pytest

from ta_auth0.rate_limit import RateLimitPacer


class Bucket:
    """Auth0-style bucket: size ``limit``, refilled at ``rate``/s; reset = when full again (ceil'd)."""

    def __init__(self, limit, rate, other_use_per_second=0.0):
        self.limit = limit
        self.rate = rate
        self.tokens = float(limit)
        self.at = 0.0
        self.other = other_use_per_second
        self.rejected = 0
        self.accepted = 0

    def _refill(self, now):
        self.tokens = min(self.limit, self.tokens + (now - self.at) * (self.rate - self.other))
        self.at = now

    def request(self, now):
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            self.accepted += 1
            status = 200
        else:
            self.rejected += 1
            status = 429
        reset = math.ceil(now + (self.limit - self.tokens) / self.rate)
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(math.floor(self.tokens)),
            "x-ratelimit-reset": str(reset),
        }
        return status, headers


def drive(pacer, bucket, duration, latency=0.05, start=1_000_000.0):
    now = start
    bucket.at = start
    requests = []
    while now < start + duration:
        now += pacer.delay_before_request(now)
        sent = now
        status, headers = bucket.request(sent)
        now += latency
        if status == 429:
            now += pacer.observe_rejection(headers, sent, now)
        else:
            pacer.observe(headers, sent, now)
            requests.append(sent)
    return requests


@pytest.mark.parametrize(("limit", "rate"), [(10, 100 / 60), (2, 2.0), (50, 16.0), (10, 2.0)])
def test_full_share_uses_the_limit_without_429(limit, rate):
    bucket = Bucket(limit, rate)
    sent = drive(RateLimitPacer(1.0), bucket, duration=120)
    allowed = limit + rate * (sent[-1] - sent[0])
    assert bucket.rejected == 0
    assert len(sent) / allowed >= 0.95


def test_half_share_leaves_half_of_burst_and_rate_to_others():
    bucket = Bucket(10, 100 / 60)
    pacer = RateLimitPacer(0.5)
    sent = drive(pacer, bucket, duration=600)
    assert bucket.rejected == 0
    first_burst = [t for t in sent if t < sent[0] + 0.5]
    assert len(first_burst) <= 5
    sustained = len(sent) / (sent[-1] - sent[0])
    assert sustained <= 0.5 * bucket.rate * 1.05
    assert sustained >= 0.5 * bucket.rate * 0.85
    assert pacer.state.remaining >= pacer.reserve - 1


def test_other_clients_within_their_share_cause_no_429_for_us():
    bucket = Bucket(10, 100 / 60, other_use_per_second=0.5 * 100 / 60)
    drive(RateLimitPacer(0.5), bucket, duration=300)
    assert bucket.rejected == 0


def test_clock_skew_is_corrected_from_the_date_header():
    bucket = Bucket(10, 100 / 60)
    pacer = RateLimitPacer(1.0)
    skew = 3600.0  # the local clock runs an hour ahead of Auth0's
    now = 1_000_000.0 + skew
    bucket.at = 1_000_000.0
    import email.utils

    for _ in range(200):
        now += pacer.delay_before_request(now)
        status, headers = bucket.request(now - skew)
        headers["date"] = email.utils.formatdate(math.floor(now - skew), usegmt=True)
        now += 0.01
        assert status == 200
        pacer.observe(headers, now - 0.01, now)
    assert bucket.rejected == 0


def test_no_headers_means_no_pacing():
    pacer = RateLimitPacer(0.5)
    pacer.observe({}, 0.0, 0.1)
    assert pacer.delay_before_request(0.2) == 0.0


def test_rejection_waits_until_reset():
    pacer = RateLimitPacer(1.0)
    wait = pacer.observe_rejection(
        {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1006"}, 1000.0, 1000.5
    )
    assert wait == pytest.approx(5.5)


def test_share_is_validated():
    with pytest.raises(ValueError, match="share"):
        RateLimitPacer(0)
