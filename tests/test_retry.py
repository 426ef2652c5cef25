"""The retry policy: wait out minute limits, stop at the daily limit, back off on 5xx."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from uku_xero_cli.errors import NetworkError, RateLimited, XeroAPIError
from uku_xero_cli.xero.retry import RetryEvent, RetryPolicy, retry_after_seconds

NOW = datetime(2026, 3, 10, 22, 15, 0, tzinfo=UTC)


def answers(*items: httpx.Response | Exception) -> Callable[[], httpx.Response]:
    queue = list(items)

    def send() -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    send.remaining = queue  # type: ignore[attr-defined]
    return send


def limited(problem: str, retry_after: str | None = "3") -> httpx.Response:
    headers = {"X-Rate-Limit-Problem": problem}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return httpx.Response(429, headers=headers)


def policy(slept: list[float], **kwargs: object) -> RetryPolicy:
    return RetryPolicy(
        sleep=slept.append,
        now=lambda: NOW,
        rng=random.Random(7),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("problem", ["minute", "Minute", "CONCURRENT", "appminute"])
def test_a_minute_or_concurrency_429_waits_retry_after_then_retries(problem: str) -> None:
    slept: list[float] = []
    held: list[float] = []
    send = answers(limited(problem, "3"), httpx.Response(200, json={"ok": True}))
    answer = policy(slept).run(send, hold=held.append)
    assert answer.status_code == 200
    assert slept == [3.0]
    assert held == [3.0]


def test_the_daily_limit_stops_at_once_with_the_reset_time() -> None:
    slept: list[float] = []
    send = answers(limited("day", "7200"), httpx.Response(200))
    with pytest.raises(RateLimited) as caught:
        policy(slept).run(send)
    assert caught.value.retry_at == datetime(2026, 3, 11, 0, 15, 0, tzinfo=UTC)
    assert "2026-03-11 00:15:00 UTC" in caught.value.message
    assert "in 2 h 0 min" in caught.value.message
    assert slept == []
    assert len(send.remaining) == 1  # type: ignore[attr-defined]


def test_the_daily_limit_without_retry_after_still_stops() -> None:
    with pytest.raises(RateLimited) as caught:
        policy([]).run(answers(limited("Day", None)))
    assert caught.value.retry_at is None


def test_an_absurd_retry_after_is_not_waited_out() -> None:
    with pytest.raises(RateLimited):
        policy([], max_rate_limit_wait=60).run(answers(limited("minute", "5000")))


def test_endless_429s_give_up_after_the_configured_number_of_waits() -> None:
    slept: list[float] = []
    send = answers(*[limited("minute", "1") for _ in range(4)])
    with pytest.raises(XeroAPIError) as caught:
        policy(slept, rate_limit_waits=3).run(send)
    assert caught.value.status == 429
    assert slept == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_answers_are_retried_with_growing_jittered_delays(status: int) -> None:
    slept: list[float] = []
    send = answers(*[httpx.Response(status) for _ in range(3)], httpx.Response(200))
    answer = policy(slept, base_delay=1.0, max_delay=30.0).run(send)
    assert answer.status_code == 200
    assert len(slept) == 3
    for attempt, delay in enumerate(slept, start=1):
        ceiling = 1.0 * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_is_capped() -> None:
    p = policy([], base_delay=1.0, max_delay=4.0)
    assert all(2.0 <= p.backoff(attempt) <= 4.0 for attempt in range(3, 20))


def test_5xx_every_time_ends_in_a_network_error_after_n_attempts() -> None:
    slept: list[float] = []
    send = answers(*[httpx.Response(503) for _ in range(4)])
    with pytest.raises(NetworkError) as caught:
        policy(slept, attempts=4).run(send)
    assert "503" in caught.value.message
    assert len(slept) == 3
    assert send.remaining == []  # type: ignore[attr-defined]


def test_timeouts_and_dropped_connections_are_retried() -> None:
    slept: list[float] = []
    request = httpx.Request("GET", "https://api.xero.com/api.xro/2.0/Contacts")
    send = answers(
        httpx.ReadTimeout("slow", request=request),
        httpx.ConnectError("refused", request=request),
        httpx.Response(200),
    )
    assert policy(slept).run(send).status_code == 200
    assert len(slept) == 2


def test_timeouts_every_time_end_in_a_network_error() -> None:
    request = httpx.Request("GET", "https://api.xero.com/api.xro/2.0/Contacts")
    send = answers(*[httpx.ReadTimeout("slow", request=request) for _ in range(3)])
    with pytest.raises(NetworkError) as caught:
        policy([], attempts=3).run(send)
    assert "did not answer in time" in caught.value.message


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404])
def test_other_answers_are_returned_untouched(status: int) -> None:
    slept: list[float] = []
    answer = policy(slept).run(answers(httpx.Response(status)))
    assert answer.status_code == status
    assert slept == []


def test_every_wait_is_reported() -> None:
    events: list[RetryEvent] = []
    send = answers(httpx.Response(503), limited("minute", "2"), httpx.Response(200))
    policy([], on_wait=events.append).run(send)
    assert [(e.reason, e.attempt) for e in events] == [
        ("Xero answered HTTP 503", 2),
        ("Xero's minute limit", 3),
    ]


def test_retry_after_as_an_http_date() -> None:
    headers = {"Retry-After": "Tue, 10 Mar 2026 22:16:30 GMT"}
    assert retry_after_seconds(headers, NOW) == pytest.approx(90.0)
    assert retry_after_seconds({"Retry-After": "soon"}, NOW) is None
