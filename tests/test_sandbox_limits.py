"""The emulator's rate limits: headers on every API answer, each 429 kind, Retry-After values.

Tests that take `client` or `open_client` run twice: in-process, then over real loopback HTTP.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import OpenClient, small_config
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import CONFIDENTIAL_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.server import serve_in_thread

PING = "/api.xro/2.0/TestPing"
SLOW = "/api.xro/2.0/TestSlow"


def make_sandbox(**limits: object) -> tuple[Sandbox, threading.Event]:
    """A small sandbox with two test-only API routes: one quick, one held until `gate` opens."""
    sandbox = Sandbox(small_config(contacts=5, invoices=5, **limits))
    gate = threading.Event()

    def ping(sandbox: Sandbox, request: Request, **_: object) -> Response:
        return Response.json({"ok": True})

    def slow(sandbox: Sandbox, request: Request, **_: object) -> Response:
        gate.wait(10)
        return Response.json({"ok": True})

    sandbox.router.add("GET", PING, ping, kind="api")
    sandbox.router.add("GET", SLOW, slow, kind="api")
    return sandbox, gate


def api_headers(sandbox: Sandbox, tenant: int = 0, client_id: str | None = None) -> dict[str, str]:
    token = grant_for_tests(sandbox, client_id=client_id)["access_token"]
    return {
        "Authorization": f"Bearer {token}",
        "xero-tenant-id": list(sandbox.state.orgs)[tenant],
        "Accept": "application/json",
    }


def wait_for_in_flight(sandbox: Sandbox, tenant_id: str, count: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        tenant = sandbox.limits.snapshot()["tenants"].get(tenant_id, {})
        if tenant.get("in_flight") == count:
            return
        time.sleep(0.01)
    raise AssertionError(f"never {count} calls in flight")


@pytest.fixture
def client(open_client: OpenClient) -> tuple[Sandbox, httpx.Client, dict[str, str]]:
    # Access tokens outlive the day these tests move the clock through.
    sandbox, _ = make_sandbox(
        minute_limit=3, day_limit=5, app_minute_limit=100, access_token_ttl=2 * 86400
    )
    return sandbox, open_client(sandbox), api_headers(sandbox)


def test_every_api_answer_carries_the_remaining_counts() -> None:
    sandbox, _ = make_sandbox()
    headers = api_headers(sandbox)
    with serve_in_thread(sandbox) as server, httpx.Client(base_url=server.url) as http:
        answers = [http.get(PING, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-MinLimit-Remaining"] for a in answers] == ["59", "58", "57"]
    assert [a.headers["X-DayLimit-Remaining"] for a in answers] == ["4999", "4998", "4997"]
    assert [a.headers["X-AppMinLimit-Remaining"] for a in answers] == ["9999", "9998", "9997"]


def test_minute_limit_answers_429_until_the_oldest_call_leaves_the_window(client) -> None:
    sandbox, http, headers = client
    for _ in range(3):
        assert http.get(PING, headers=headers).status_code == 200
        sandbox.clock.advance(10)
    refused = http.get(PING, headers=headers)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    # Calls at 0 s, 10 s and 20 s; now is 30 s: the first leaves the 60 s window in 30 s.
    assert refused.headers["Retry-After"] == "30"
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    sandbox.clock.advance(29)
    assert http.get(PING, headers=headers).status_code == 429
    sandbox.clock.advance(1)
    admitted = http.get(PING, headers=headers)
    assert admitted.status_code == 200
    assert admitted.headers["X-MinLimit-Remaining"] == "0"


def test_refused_calls_do_not_count_against_any_limit(client) -> None:
    sandbox, http, headers = client
    for _ in range(3):
        http.get(PING, headers=headers)
    refused = [http.get(PING, headers=headers) for _ in range(4)]
    assert {r.status_code for r in refused} == {429}
    sandbox.clock.advance(60)
    admitted = http.get(PING, headers=headers)
    assert admitted.status_code == 200
    assert admitted.headers["X-MinLimit-Remaining"] == "2"
    assert admitted.headers["X-DayLimit-Remaining"] == "1"


def test_day_limit_retry_after_is_when_the_day_window_frees_a_call(client) -> None:
    sandbox, http, headers = client
    for _ in range(5):
        assert http.get(PING, headers=headers).status_code == 200
        sandbox.clock.advance(3600)
    refused = http.get(PING, headers=headers)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert refused.headers["X-DayLimit-Remaining"] == "0"
    # The first call was 5 hours ago; the day window frees it in 19 hours.
    assert refused.headers["Retry-After"] == str(19 * 3600)
    sandbox.clock.advance(19 * 3600)
    assert http.get(PING, headers=headers).status_code == 200


def test_limits_are_per_tenant(client) -> None:
    sandbox, http, headers = client
    for _ in range(3):
        http.get(PING, headers=headers)
    assert http.get(PING, headers=headers).status_code == 429
    other = dict(headers, **{"xero-tenant-id": list(sandbox.state.orgs)[1]})
    answer = http.get(PING, headers=other)
    assert answer.status_code == 200
    assert answer.headers["X-MinLimit-Remaining"] == "2"


def test_app_minute_limit_spans_tenants_and_spares_other_apps(open_client: OpenClient) -> None:
    sandbox, _ = make_sandbox(app_minute_limit=4, minute_limit=60)
    first, second = api_headers(sandbox, 0), api_headers(sandbox, 1)
    other_app = api_headers(sandbox, 0, client_id=CONFIDENTIAL_CLIENT_ID)
    http = open_client(sandbox)
    for headers in (first, second, first, second):
        assert http.get(PING, headers=headers).status_code == 200
    sandbox.clock.advance(15)
    refused = http.get(PING, headers=first)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"
    assert refused.headers["X-AppMinLimit-Remaining"] == "0"
    assert refused.headers["Retry-After"] == "45"
    assert http.get(PING, headers=other_app).status_code == 200


def test_sixth_concurrent_call_to_a_tenant_gets_429_concurrent_over_http() -> None:
    sandbox, gate = make_sandbox()
    headers = api_headers(sandbox)
    with (
        serve_in_thread(sandbox) as server,
        ThreadPoolExecutor(5) as pool,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        held = [pool.submit(http.get, SLOW, headers=headers) for _ in range(5)]
        wait_for_in_flight(sandbox, headers["xero-tenant-id"], 5)
        sixth = http.get(PING, headers=headers)
        gate.set()
        finished = [f.result() for f in held]
        after = http.get(PING, headers=headers)
    assert sixth.status_code == 429
    assert sixth.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert sixth.headers["Retry-After"] == "1"
    assert "X-MinLimit-Remaining" in sixth.headers
    assert [f.status_code for f in finished] == [200] * 5
    assert after.status_code == 200


def test_latency_is_spent_holding_a_concurrency_slot() -> None:
    sandbox, _ = make_sandbox(latency=0.5)
    headers = api_headers(sandbox)
    start = threading.Barrier(6)

    def call(http: httpx.Client) -> httpx.Response:
        start.wait()
        return http.get(PING, headers=headers)

    with (
        serve_in_thread(sandbox) as server,
        httpx.Client(base_url=server.url, timeout=10) as http,
        ThreadPoolExecutor(6) as pool,
    ):
        answers = list(pool.map(lambda _: call(http), range(6)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 5 + [429]
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"


def test_parallel_calls_never_exceed_the_minute_limit() -> None:
    sandbox, _ = make_sandbox(minute_limit=20, concurrent_limit=100)
    headers = api_headers(sandbox)
    with (
        serve_in_thread(sandbox) as server,
        httpx.Client(base_url=server.url) as http,
        ThreadPoolExecutor(8) as pool,
    ):
        statuses = list(pool.map(lambda _: http.get(PING, headers=headers).status_code, range(40)))
    assert statuses.count(200) == 20
    assert statuses.count(429) == 20


@pytest.mark.parametrize(
    ("kind", "remaining_header", "retry_after"),
    [
        ("minute", "X-MinLimit-Remaining", "60"),
        ("day", "X-DayLimit-Remaining", "86400"),
        ("appminute", "X-AppMinLimit-Remaining", "60"),
        ("concurrent", None, "1"),
    ],
)
def test_forced_429s_refuse_the_next_n_calls_and_are_not_counted(
    kind: str, remaining_header: str | None, retry_after: str, open_client: OpenClient
) -> None:
    sandbox, _ = make_sandbox()
    headers = api_headers(sandbox)
    sandbox.limits.force(kind, 2)
    http = open_client(sandbox)
    answers = [http.get(PING, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    for refused in answers[:2]:
        assert refused.headers["X-Rate-Limit-Problem"] == kind
        assert refused.headers["Retry-After"] == retry_after
        if remaining_header:
            assert refused.headers[remaining_header] == "0"
    assert answers[2].headers["X-MinLimit-Remaining"] == "59"


def test_forced_429_can_name_its_retry_after(client) -> None:
    sandbox, http, headers = client
    sandbox.limits.force("day", 1, retry_after=7)
    refused = http.get(PING, headers=headers)
    assert (refused.headers["Retry-After"], refused.headers["X-Rate-Limit-Problem"]) == ("7", "day")


def test_calls_refused_before_the_limits_are_not_counted(client) -> None:
    _, http, headers = client
    bad = dict(headers, Authorization="Bearer not-a-token")
    assert http.get(PING, headers=bad).status_code == 401
    answer = http.get(PING, headers=headers)
    assert answer.headers["X-MinLimit-Remaining"] == "2"


def test_force_rejects_an_unknown_kind() -> None:
    sandbox, _ = make_sandbox()
    with pytest.raises(ValueError, match="minute, day, concurrent, appminute"):
        sandbox.limits.force("hourly", 1)
