"""The per-key token bucket behind the posting routes."""

from __future__ import annotations

import pytest

from killreport.api.rate_limit import KeyedRateLimiter


def test_a_bucket_allows_its_burst_then_refills_at_its_rate_per_key() -> None:
    # given a bucket of 2 refilled at 0.5 tokens/s, on a clock the test moves
    now = [100.0]
    limiter = KeyedRateLimiter(0.5, 2, max_keys=2, clock=lambda: now[0])
    # when one address posts three times at once
    first = [limiter.admit("a") for _ in range(3)]
    # then the third waits 2 s, while another address is untouched
    assert first[:2] == [None, None]
    assert first[2] == pytest.approx(2.0)
    assert [limiter.admit("b"), limiter.admit("b")] == [None, None]
    # and after 1 s half a token is back (1 s more to wait), after 2 s a whole one
    now[0] += 1.0
    assert limiter.admit("a") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.admit("a") is None
    # and beyond max_keys the least recently seen key is forgotten: "b" (empty, then 1
    # token back) starts full again
    assert limiter.admit("c") is None
    assert [limiter.admit("b"), limiter.admit("b")] == [None, None]


def test_a_limiter_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError, match="rate_per_s > 0"):
        KeyedRateLimiter(0.0, 1)
