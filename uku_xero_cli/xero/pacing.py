"""Pacing requests under Xero's limits so that Xero never has to refuse one.

Xero allows per tenant 5 requests in flight and 60 per rolling minute, and per app 10,000 a
minute across every tenant. One `Pacer` serves a whole process (`shared_pacer()`), so companies
reloaded in parallel share the app-wide budget.

A request occupies its minute window from the moment it starts until one window after it
*finished*: Xero counts it somewhere in between, so dating it by its end can only make us wait
longer than needed, never less. Answers carry `X-MinLimit-Remaining` and
`X-AppMinLimit-Remaining`; when Xero reports fewer calls left than we think (another process
using the same tenant, or a lower limit than configured) the difference is booked as phantom
calls that age out like real ones, so the pace drops to what Xero allows.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

DEFAULT_CONCURRENT = 5
DEFAULT_MINUTE_LIMIT = 60
DEFAULT_APP_MINUTE_LIMIT = 10_000
MINUTE = 60.0

# Wraps each wait of `acquire`, told why and how long (None: until a request in flight ends).
Announce = Callable[[str, float | None], AbstractContextManager[object]]


@dataclass(frozen=True)
class PaceLimits:
    """What the pacer aims to stay under. `window` is the length of Xero's "minute"."""

    concurrent: int = DEFAULT_CONCURRENT
    per_minute: int = DEFAULT_MINUTE_LIMIT
    app_per_minute: int = DEFAULT_APP_MINUTE_LIMIT
    window: float = MINUTE

    def __post_init__(self) -> None:
        if self.concurrent < 1 or self.per_minute < 1 or self.app_per_minute < 1:
            raise ValueError("pace limits must be at least 1")
        if self.window <= 0:
            raise ValueError("the pacing window must be positive")


@dataclass
class _Window:
    """Calls booked against one rolling window: finished ones by end time, plus in flight."""

    limit: int
    done: deque[float] = field(default_factory=deque)
    in_flight: int = 0

    def prune(self, now: float, window: float) -> None:
        while self.done and self.done[0] <= now - window:
            self.done.popleft()

    def used(self) -> int:
        return len(self.done) + self.in_flight

    def free_at(self, window: float) -> float | None:
        """When the oldest finished call ages out; None if only calls in flight hold it."""
        return self.done[0] + window if self.done else None

    def book_phantoms(self, count: int, now: float) -> None:
        # Keep `done` sorted: phantoms are dated now, which is never before an existing entry.
        self.done.extend([now] * count)


@dataclass
class _Tenant:
    minute: _Window
    in_flight: int = 0
    blocked_until: float = 0.0


@dataclass
class PacerStats:
    """What the pacer did for one tenant, for summaries and tests."""

    requests: int = 0
    waited: float = 0.0
    day_remaining: int | None = None
    minute_remaining: int | None = None


class Pacer:
    """Admits requests per tenant under the concurrency, minute and app-wide limits.

    Thread-safe. `clock` (monotonic seconds) and `sleep` are injectable so tests run without
    waiting for real time; waits for a free concurrency slot use a condition variable, woken
    when a request in flight finishes.
    """

    def __init__(
        self,
        limits: PaceLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits or PaceLimits()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tenants: dict[str, _Tenant] = {}
        self._app = _Window(self.limits.app_per_minute)
        self._stats: dict[str, PacerStats] = {}

    def _tenant(self, tenant_id: str) -> _Tenant:
        state = self._tenants.get(tenant_id)
        if state is None:
            state = self._tenants[tenant_id] = _Tenant(_Window(self.limits.per_minute))
            self._stats[tenant_id] = PacerStats()
        return state

    def stats(self, tenant_id: str) -> PacerStats:
        with self._lock:
            self._tenant(tenant_id)
            found = self._stats[tenant_id]
            return PacerStats(
                found.requests, found.waited, found.day_remaining, found.minute_remaining
            )

    def _delay(self, state: _Tenant, now: float) -> tuple[float | None, str]:
        """0 to go now, seconds to sleep, or None to wait for a call in flight to finish;
        and why, for a person."""
        window = self.limits.window
        if state.blocked_until > now:
            return state.blocked_until - now, "Xero asked to wait (Retry-After)"
        if state.in_flight >= self.limits.concurrent:
            return None, f"{self.limits.concurrent} requests in flight for the organisation"
        waits: list[tuple[float | None, str]] = []
        for booked, why in (
            (state.minute, f"pacing under Xero's minute limit ({self.limits.per_minute} a minute)"),
            (self._app, f"pacing under the app-wide minute limit ({self.limits.app_per_minute})"),
        ):
            booked.prune(now, window)
            if booked.used() >= booked.limit:
                free_at = booked.free_at(window)
                waits.append((None if free_at is None else max(free_at - now, 0.0), why))
        if not waits:
            return 0.0, ""
        timed = [w for w in waits if w[0] is not None]
        return max(timed, key=lambda w: w[0] or 0.0) if timed else waits[0]

    def acquire(self, tenant_id: str, announce: Announce | None = None) -> None:
        """Block until a request for `tenant_id` may start, and book it. `announce(reason,
        seconds)` wraps each wait."""
        waited = 0.0
        while True:
            with self._changed:
                state = self._tenant(tenant_id)
                delay, reason = self._delay(state, self._clock())
                if delay == 0.0:
                    state.in_flight += 1
                    state.minute.in_flight += 1
                    self._app.in_flight += 1
                    stats = self._stats[tenant_id]
                    stats.requests += 1
                    stats.waited += waited
                    return
                if delay is None:
                    started = self._clock()
                    with announce(reason, None) if announce else nullcontext():
                        self._changed.wait()
                    waited += self._clock() - started
                    continue
            # Sleep outside the lock so other tenants and finishing requests go on.
            with announce(reason, delay) if announce else nullcontext():
                self._sleep(delay)
            waited += delay

    def release(self, tenant_id: str) -> None:
        """The request booked by `acquire` has finished (successfully or not)."""
        with self._changed:
            state = self._tenant(tenant_id)
            now = self._clock()
            state.in_flight -= 1
            for booked in (state.minute, self._app):
                booked.in_flight -= 1
                booked.done.append(now)
            self._changed.notify_all()

    @contextmanager
    def slot(self, tenant_id: str, announce: Announce | None = None) -> Iterator[None]:
        """`with pacer.slot(tenant): response = send()`: one paced request."""
        self.acquire(tenant_id, announce)
        try:
            yield
        finally:
            self.release(tenant_id)

    def observe(self, tenant_id: str, headers: Mapping[str, str]) -> None:
        """Take in what Xero says is left: slow down when it is less than we think."""
        minute_left = _int_header(headers, "x-minlimit-remaining")
        app_left = _int_header(headers, "x-appminlimit-remaining")
        day_left = _int_header(headers, "x-daylimit-remaining")
        with self._changed:
            state = self._tenant(tenant_id)
            now = self._clock()
            stats = self._stats[tenant_id]
            if day_left is not None:
                stats.day_remaining = day_left
            if minute_left is not None:
                stats.minute_remaining = minute_left
            if _int_header(headers, "retry-after") is not None:
                # A refusal: Retry-After says exactly how long to stay away (see `hold`),
                # which is usually less than booking a whole window would.
                return
            for booked, left in ((state.minute, minute_left), (self._app, app_left)):
                if left is None:
                    continue
                booked.prune(now, self.limits.window)
                surplus = (booked.limit - booked.used()) - max(left, 0)
                if surplus > 0:
                    booked.book_phantoms(surplus, now)

    def hold(self, tenant_id: str, seconds: float) -> None:
        """Start no request for the tenant for `seconds` (Xero said Retry-After)."""
        with self._changed:
            state = self._tenant(tenant_id)
            state.blocked_until = max(state.blocked_until, self._clock() + max(seconds, 0.0))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        # Plain dicts (tests, other clients) may not be case-insensitive like httpx.Headers.
        lowered = {key.lower(): value for key, value in headers.items()}
        raw = lowered.get(name)
    if raw is None:
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


_shared: Pacer | None = None
_shared_lock = threading.Lock()


def shared_pacer(limits: PaceLimits | None = None) -> Pacer:
    """The process-wide pacer: every client in one process shares the app-wide budget.

    The first caller's limits win; later callers with other limits get their own pacer,
    since mixing limits in one budget would make neither hold.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Pacer(limits)
            return _shared
        if limits is None or limits == _shared.limits:
            return _shared
    return Pacer(limits)
