"""The pieces that spread sends over time: token bucket, per-recipient gap, backoff, sending threads.

Each is tested on its own, with real time kept short (rates of hundreds per second) so the
figures are measured, not assumed.
"""

from __future__ import annotations

import random
import time

import pytest

from outbound.pacing import (
    MAX_CONCURRENCY,
    RateLimiter,
    RecipientPacer,
    SendThreads,
    backoff_delay,
    default_concurrency,
)


def test_the_bucket_holds_sends_to_the_rate_after_its_burst():
    limiter = RateLimiter(200, burst=1)
    started = time.monotonic()
    for _ in range(41):
        assert limiter.acquire()
    elapsed = time.monotonic() - started
    assert elapsed >= 40 / 200 * 0.95  # 40 intervals of 5 ms after the first token


def test_a_send_that_would_start_after_the_deadline_takes_nothing():
    limiter = RateLimiter(1, burst=1)
    assert limiter.acquire()
    assert limiter.acquire(deadline=time.monotonic() + 0.1) is False
    assert limiter.acquire(deadline=time.monotonic() + 2)  # the refused call did not book the slot


def test_slow_down_halves_the_rate_but_never_below_one_per_second():
    limiter = RateLimiter(4)
    limiter.slow_down()
    assert limiter.rate == 2
    for _ in range(3):
        limiter.slow_down()
    assert limiter.rate == 1.0


def test_a_short_burst_to_one_recipient_goes_at_once_and_the_next_waits_the_average_interval():
    pacer = RecipientPacer(interval=6.0, burst=3)
    assert [pacer.reserve("989120000001")[0] for _ in range(3)] == [0.0, 0.0, 0.0]
    wait, previous = pacer.reserve("989120000001")
    assert 5.9 < wait <= 6.0 and previous is None
    assert pacer.reserve("989120000002")[0] == 0.0


def test_without_a_burst_one_recipient_waits_the_pair_interval():
    pacer = RecipientPacer(interval=6.0, burst=1)
    assert pacer.reserve("989120000001") == (0.0, None)
    wait, previous = pacer.reserve("989120000001")
    assert 5.9 < wait <= 6.0 and previous is None


def test_after_a_burst_the_recipient_gets_one_message_per_interval():
    clock = [1000.0]
    pacer = RecipientPacer(interval=6.0, burst=3, clock=lambda: clock[0])
    sent = []
    for _ in range(60 * 10):  # ten minutes in steps of 0.1 s, trying to send all the time
        if pacer.reserve("989120000001")[0] == 0.0:
            sent.append(clock[0])
        clock[0] += 0.1
    assert sent[2] - sent[0] < 0.3  # the burst goes at once
    # Over any six seconds at most the burst; over the ten minutes the average rate.
    assert max(sum(1 for at in sent if start <= at < start + 6.0) for start in sent) <= 3
    assert len(sent) <= 3 + 60 / 6.0 * 10


def test_unbooking_a_refused_send_frees_the_recipient_again():
    pacer = RecipientPacer(interval=6.0, burst=1)
    _, previous = pacer.reserve("989120000001")
    pacer.unbook("989120000001", previous)
    assert pacer.reserve("989120000001")[0] == 0.0


def test_a_send_seen_in_another_run_is_remembered():
    pacer = RecipientPacer(interval=6.0, burst=2)
    pacer.seed("989120000001", 2.0)
    assert pacer.reserve("989120000001")[0] == 0.0  # the second of the burst
    wait, _ = pacer.reserve("989120000001")
    assert 3.9 < wait <= 4.0  # the seeded send 2 s ago and this one: the next goes 6 s after the seeded one


@pytest.mark.parametrize("attempt, low, high", [(1, 2.5, 5.0), (2, 5.0, 10.0), (4, 20.0, 40.0), (20, 450.0, 900.0)])
def test_backoff_grows_exponentially_is_capped_and_jittered_over_its_upper_half(attempt, low, high):
    rng = random.Random(7)
    delays = [backoff_delay(attempt, rng) for _ in range(200)]
    assert all(low <= delay <= high for delay in delays)
    assert len({round(delay, 6) for delay in delays}) > 100  # jittered, not one value


def test_concurrency_follows_the_rate_within_the_connection_pool():
    assert default_concurrency(1) == 8
    assert default_concurrency(80) == 40
    assert default_concurrency(1000) == MAX_CONCURRENCY


def test_send_threads_return_every_outcome_and_stop_cleanly():
    threads = SendThreads(4, lambda row: row * 10)
    threads.submit(list(range(20)))
    outcomes: list[int] = []
    deadline = time.monotonic() + 10
    while len(outcomes) < 20 and time.monotonic() < deadline:
        outcomes.extend(threads.take(timeout=1.0))
    threads.close()
    assert sorted(outcomes) == [n * 10 for n in range(20)]
    assert threads.take(timeout=0) == []


def test_a_burst_seen_in_another_run_holds_the_next_send_back():
    pacer = RecipientPacer(interval=6.0, burst=3)
    pacer.seed("989120000001", 1.0, 0.5, 0.0)  # another process sent three in the last second
    wait, previous = pacer.reserve("989120000001")
    assert 4.9 < wait <= 5.0 and previous is None
    assert RecipientPacer(interval=6.0, burst=3).window == 18.0
