"""Pacing shared by the sites of one run: one request in flight per host, a global rate cap.

Each site is crawled by its own thread with its own Fetcher; the Fetchers of a run share one
`HostGates` (so two sites on one host still never have two requests in flight there) and one
`TokenBucket` (the run's requests per second over all hosts). Clock and sleep are injectable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Gate:
    """One host: a lock so only one request is in flight, and the earliest time of the next."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_ok = 0.0


class HostGates:
    """The gates of every host a run talks to (thread-safe)."""

    def __init__(self) -> None:
        self._gates: dict[str, Gate] = {}
        self._lock = threading.Lock()

    def gate(self, host: str) -> Gate:
        with self._lock:
            return self._gates.setdefault(host, Gate())


class TokenBucket:
    """At most `rate` requests per second on average, bursts of up to `burst` (thread-safe).

    rate <= 0 means no cap. `acquire` blocks until a token is free; it takes the token under
    the lock and sleeps outside it, so waiting threads queue up in turn.
    """

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self.clock, self.sleep = clock, sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting for a token, over all threads

    def acquire(self) -> float:
        """Take one token, waiting as long as needed; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0  # may go negative: the debt is this caller's wait
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
        if wait > 0:
            self.sleep(wait)
        return wait
