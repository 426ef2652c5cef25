"""What to do when Xero refuses or fails a request: wait and retry, or give up with a typed error.

- 429 for the minute, concurrency or app-minute limit: wait `Retry-After`, then retry.
- 429 for the daily limit: raise `RateLimited` with the reset time (retrying would only burn
  more of tomorrow's budget and keep a cron job hanging for hours).
- 5xx answers, timeouts and dropped connections: capped exponential backoff with jitter, then
  `NetworkError` after the last attempt.
- Anything else (2xx, 4xx) is the caller's to interpret.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

import httpx

from uku_xero_cli.errors import NetworkError, RateLimited, XeroAPIError

# Xero names these in X-Rate-Limit-Problem; anything else is handled like "minute".
DAY = "day"
WAITABLE_PROBLEMS = frozenset({"minute", "concurrent", "appminute"})

# Transport failures worth another try; a malformed URL or a bad proxy setting is not.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


class _Answer(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


A = TypeVar("A", bound=_Answer)
# Wraps each wait of one `run` (the trace reports it as it starts and ends).
Announce = Callable[["RetryEvent"], AbstractContextManager[object]]


@dataclass(frozen=True)
class RetryEvent:
    """One wait before a retry: why, how long, and which attempt comes next."""

    reason: str
    delay: float
    attempt: int
    # "retry-after" when Xero said how long, "backoff" when the delay is ours.
    kind: str = "backoff"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = {k.lower(): v for k, v in headers.items()}.get(name.lower())
    return value


def rate_limit_problem(headers: Mapping[str, str]) -> str | None:
    """`X-Rate-Limit-Problem`, lower-cased (Xero's capitalisation varies)."""
    value = _header(headers, "x-rate-limit-problem")
    return value.strip().lower() if value else None


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP date."""
    raw = _header(headers, "retry-after")
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def _describe_wait(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "in under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"


def daily_limit_error(retry_after: float | None, now: datetime) -> RateLimited:
    if retry_after is None:
        return RateLimited(
            "Xero's daily request limit for this organisation is reached",
            hint="Try again tomorrow; Xero did not say when the limit resets.",
        )
    reset = (now + timedelta(seconds=retry_after)).replace(microsecond=0)
    return RateLimited(
        f"Xero's daily request limit for this organisation is reached; it resets at "
        f"{reset.strftime('%Y-%m-%d %H:%M:%S')} UTC ({_describe_wait(retry_after)})",
        retry_at=reset,
        hint="Run the command again after that time; nothing was left half-written.",
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RetryPolicy:
    """Retries one request. Tests inject `sleep`, `now` and `rng` so nothing waits for real.

    `attempts` bounds tries for 5xx and transport failures; `rate_limit_waits` bounds how many
    429s in a row are waited out before giving up (a tenant hammered by another app).
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    rate_limit_waits: int = 10
    # A Retry-After longer than this on a 429 that is not "day" is treated as a daily limit:
    # waiting it out would stall a nightly job for no good reason.
    max_rate_limit_wait: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = _utcnow
    rng: random.Random = field(default_factory=random.Random)
    on_wait: Callable[[RetryEvent], None] | None = None

    def backoff(self, attempt: int) -> float:
        """Delay before try `attempt + 1`: doubling from base_delay, capped, jittered."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        # Equal jitter: never less than half the ceiling, so retries cannot stampede at 0.
        return self.rng.uniform(ceiling / 2, ceiling)

    def _wait(self, event: RetryEvent, announce: Announce | None) -> None:
        if self.on_wait is not None:
            self.on_wait(event)
        with announce(event) if announce is not None else nullcontext():
            if event.delay > 0:
                self.sleep(event.delay)

    def run(
        self,
        send_once: Callable[[], A],
        *,
        hold: Callable[[float], None] | None = None,
        announce: Announce | None = None,
    ) -> A:
        """Call `send_once` until it gives an answer worth returning.

        `hold(seconds)` is told every Retry-After so a shared pacer can stop other requests
        for the same tenant as well; `announce(event)` wraps each wait.
        """
        failures = 0
        rate_waits = 0
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = send_once()
            except RETRYABLE_EXCEPTIONS as exc:
                failures += 1
                what = (
                    "did not answer in time"
                    if isinstance(exc, httpx.TimeoutException)
                    else "could not be reached"
                )
                if failures >= self.attempts:
                    raise NetworkError(
                        f"Xero {what} ({type(exc).__name__}, {failures} attempts)",
                        hint="Check the network connection and try again.",
                    ) from None
                wait = RetryEvent(f"Xero {what}", self.backoff(failures), attempt + 1)
                self._wait(wait, announce)
                continue

            status = answer.status_code
            problem = rate_limit_problem(answer.headers)
            if status == 429 or (status == 503 and problem):
                now = self.now()
                retry_after = retry_after_seconds(answer.headers, now)
                too_long = retry_after is not None and retry_after > self.max_rate_limit_wait
                if problem == DAY or too_long:
                    raise daily_limit_error(retry_after, now)
                rate_waits += 1
                if rate_waits > self.rate_limit_waits:
                    raise XeroAPIError(
                        f"Xero kept refusing requests over its {problem or 'rate'} limit "
                        f"({rate_waits} times in a row)",
                        status=status,
                        hint="Another application may be using this organisation's limit; "
                        "try again later.",
                    )
                delay = retry_after if retry_after is not None else self.backoff(rate_waits)
                if hold is not None:
                    hold(delay)
                limit = RetryEvent(
                    f"Xero's {problem or 'rate'} limit",
                    delay,
                    attempt + 1,
                    "backoff" if retry_after is None else "retry-after",
                )
                self._wait(limit, announce)
                continue

            if status >= 500:
                failures += 1
                if failures >= self.attempts:
                    raise NetworkError(
                        f"Xero answered HTTP {status} {failures} times in a row",
                        hint="Xero may be having problems; try again later.",
                    )
                delay = self.backoff(failures)
                retry_after = retry_after_seconds(answer.headers, self.now())
                if retry_after is not None:
                    delay = min(max(delay, retry_after), self.max_delay)
                failed = RetryEvent(f"Xero answered HTTP {status}", delay, attempt + 1)
                self._wait(failed, announce)
                continue
            return answer
