"""The token bucket of :mod:`api.rate_limits`, on a clock the test moves."""

from __future__ import annotations

import pytest

from api.rate_limits import RateLimiter, RateLimits, TokenBucketRule
from sandbox.config import Settings
from sandbox.errors import Throttled


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_with_the_wait_until_the_next_request() -> None:
    clock = Clock()
    limiter = RateLimiter(TokenBucketRule("rate_limit_user", per_second=2, burst=3), clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)  # one token refills in half a second
    assert limiter.take("b") == 0.0  # another key has its own bucket
    clock.now += 0.5
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    clock.now += 60
    assert [limiter.take("a") for _ in range(3)] == [0.0] * 3  # never more than the burst
    assert limiter.take("a") > 0


def test_a_zero_rate_turns_the_limit_off() -> None:
    limiter = RateLimiter(TokenBucketRule("rate_limit_user", per_second=0, burst=1))
    assert all(limiter.take("a") == 0.0 for _ in range(1000))


def test_each_process_enforces_its_share() -> None:
    settings = Settings(
        rate_limit_user_per_second=30, rate_limit_user_burst=90, rate_limit_processes=3
    )
    limits = RateLimits.from_settings(settings)
    assert (limits.user.rule.per_second, limits.user.rule.burst) == (10, 30)
    for _ in range(30):
        limits.check_user(7)
    with pytest.raises(Throttled) as refused:
        limits.check_user(7)
    assert refused.value.limit == "rate_limit_user"
    assert refused.value.retry_after_seconds >= 1
    assert "rate_limit_user" in refused.value.message
