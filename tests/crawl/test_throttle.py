"""Pacing across the sites of a run: the global rate cap, shared host gates, the time budget."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from crawl.errors import OutOfTime
from crawl.fetch import Fetcher, Policy
from crawl.throttle import HostGates, TokenBucket
from tests.crawl.test_fetch import Clock, make


def test_bucket_allows_a_burst_then_paces() -> None:
    clock = Clock()
    bucket = TokenBucket(2.0, burst=2, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]  # the burst
    assert waits[2:] == pytest.approx([0.5, 0.5, 0.5])  # then two per second
    clock.now += 10  # idle: the bucket refills to its burst, no more
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


def test_bucket_without_a_rate_never_waits() -> None:
    clock = Clock()
    bucket = TokenBucket(0.0, clock=clock, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(100)] == [0.0] * 100 and clock.sleeps == []


def test_bucket_caps_the_rate_over_threads() -> None:
    """Four threads taking 20 tokens from a 50/s bucket with a burst of 1: about 0.38 s."""
    bucket = TokenBucket(50.0, burst=1)
    start = time.monotonic()
    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(5)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - start >= 19 / 50 - 0.02


def _in_flight(shared: bool) -> int:
    """Most requests at once on one host, from two Fetchers in two threads."""
    lock = threading.Lock()
    now = [0, 0]  # in flight, most

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            now[0] += 1
            now[1] = max(now[1], now[0])
        time.sleep(0.02)
        with lock:
            now[0] -= 1
        return httpx.Response(200, text="<html></html>")

    gates = HostGates()
    policy = Policy(delay=0.0, jitter=0.0, retries=0)

    def crawl() -> None:
        fetcher = Fetcher("tracuu/0.1", transport=httpx.MockTransport(handler),
                          gates=gates if shared else None)
        for n in range(5):
            fetcher.get(f"http://xa.example/trang-{n}", policy)

    threads = [threading.Thread(target=crawl) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return now[1]


def test_fetchers_sharing_gates_never_ask_one_host_twice_at_once() -> None:
    assert _in_flight(shared=True) == 1
    assert _in_flight(shared=False) == 2  # what the shared gates prevent


def test_no_request_starts_after_the_time_budget() -> None:
    clock = Clock()
    fetcher = make(lambda r: httpx.Response(200, text="ok"), clock)
    policy = Policy(delay=5.0, jitter=0.0, until=clock.now + 7)
    assert fetcher.get("http://xa.example/a", policy).status == 200  # 5 s after robots.txt
    with pytest.raises(OutOfTime):  # its turn would come at 10 s, past the budget's 7
        fetcher.get("http://xa.example/b", policy)
    assert clock.sleeps == [5.0]  # it did not wait for a turn it could not use
