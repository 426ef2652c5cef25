"""Fault injection: latency, a seeded rate of 500/503, forced failures and hangs by path.

Tests that take `world` or `open_client` run twice: in-process, then over real loopback HTTP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import OpenClient, small_config
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.server import serve_in_thread

PING = "/api.xro/2.0/TestPing"
IDENTITY_PING = "/identity/test-ping"


@dataclass
class World:
    sandbox: Sandbox
    http: httpx.Client
    headers: dict[str, str]
    handled: list[str] = field(default_factory=list)

    def ping(self) -> httpx.Response:
        return self.http.get(PING, headers=self.headers)


def build(**config: object) -> tuple[Sandbox, list[str]]:
    """A small sandbox with test-only API and identity routes that record each call handled."""
    sandbox = Sandbox(small_config(contacts=5, invoices=5, **config))
    handled: list[str] = []

    def ping(sandbox: Sandbox, request: Request, **_: object) -> Response:
        handled.append(request.method + " " + request.path)
        return Response.json({"ok": True})

    sandbox.router.add("GET", PING, ping, kind="api")
    sandbox.router.add("POST", PING, ping, kind="api")
    sandbox.router.add("GET", IDENTITY_PING, ping, kind="identity")
    return sandbox, handled


def auth_headers(sandbox: Sandbox) -> dict[str, str]:
    token = grant_for_tests(sandbox)["access_token"]
    return {"Authorization": f"Bearer {token}", "xero-tenant-id": next(iter(sandbox.state.orgs))}


@pytest.fixture
def world(open_client: OpenClient) -> World:
    sandbox, handled = build()
    return World(sandbox, open_client(sandbox), auth_headers(sandbox), handled)


def statuses(world: World, calls: int) -> list[int]:
    return [world.ping().status_code for _ in range(calls)]


def test_error_rate_answers_500_and_503_in_a_repeatable_sequence(open_client: OpenClient) -> None:
    runs = []
    for _ in range(2):
        sandbox, _handled = build(error_rate=0.3, seed=11)
        headers = auth_headers(sandbox)
        http = open_client(sandbox)
        runs.append([http.get(PING, headers=headers).status_code for _ in range(60)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500, 503}
    assert 8 <= runs[0].count(500) + runs[0].count(503) <= 30


def test_other_seeds_give_other_sequences(open_client: OpenClient) -> None:
    seen = []
    for seed in (1, 2):
        sandbox, _ = build(error_rate=0.5, seed=seed)
        headers = auth_headers(sandbox)
        http = open_client(sandbox)
        seen.append([http.get(PING, headers=headers).status_code for _ in range(30)])
    assert seen[0] != seen[1]


def test_injected_errors_look_like_xero_on_api_and_oauth_on_identity(world: World) -> None:
    world.sandbox.faults.set(error_rate=1.0)
    api = world.ping()
    identity = world.http.get(IDENTITY_PING)
    assert api.status_code in (500, 503)
    assert api.json()["Status"] == api.status_code
    assert identity.status_code in (500, 503)
    expected = {500: "server_error", 503: "temporarily_unavailable"}[identity.status_code]
    assert identity.json() == {"error": expected}
    assert world.handled == []


def test_admin_routes_never_get_faults(world: World) -> None:
    world.sandbox.faults.set(error_rate=1.0, latency=0.5)
    world.sandbox.faults.fail("/", status=500, count=5)
    started = time.monotonic()
    answer = world.http.get("/_sandbox/faults")
    assert answer.status_code == 200
    assert time.monotonic() - started < 0.4
    assert answer.json()["rules"][0]["remaining"] == 5


def test_latency_delays_identity_and_api_answers(world: World) -> None:
    world.sandbox.faults.set(latency=0.2)
    for call in (world.ping, lambda: world.http.get(IDENTITY_PING)):
        started = time.monotonic()
        assert call().status_code == 200
        assert time.monotonic() - started >= 0.2


def test_forced_failures_hit_the_next_n_calls_of_that_method_and_path(world: World) -> None:
    world.sandbox.faults.fail(PING.lower(), status=503, count=2, method="POST")
    assert world.ping().status_code == 200
    posted = [world.http.post(PING, headers=world.headers).status_code for _ in range(3)]
    assert posted == [503, 503, 200]
    assert world.handled == [f"GET {PING}", f"POST {PING}"]


def test_forced_failure_can_answer_a_customers_exact_body(world: World) -> None:
    body = {"Title": "Service Unavailable", "Detail": "Organisation is offline"}
    world.sandbox.faults.fail("/api.xro/2.0/", status=503, body=body)
    answer = world.ping()
    assert (answer.status_code, answer.json()) == (503, body)


def test_forced_503s_on_the_token_endpoint_then_the_refresh_succeeds(world: World) -> None:
    refresh = grant_for_tests(world.sandbox)["refresh_token"]
    world.sandbox.faults.fail("/connect/token", status=503, count=2, method="POST")
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": PUBLIC_CLIENT_ID}
    answers = [world.http.post("/connect/token", data=form) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].json() == {"error": "temporarily_unavailable"}
    assert "access_token" in answers[2].json()


def wait_for_log(sandbox: Sandbox, status: int) -> None:
    deadline = time.monotonic() + 3
    while sandbox.log.count(status=status) == 0:
        assert time.monotonic() < deadline, f"no {status} logged"
        time.sleep(0.01)


def test_hang_outlasts_the_client_timeout_and_drops_the_call_unprocessed() -> None:
    sandbox, handled = build()
    headers = auth_headers(sandbox)
    sandbox.faults.fail(PING, hang=30)
    with serve_in_thread(sandbox) as server, httpx.Client(base_url=server.url) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get(PING, headers=headers, timeout=0.3)
        sandbox.faults.clear()
        wait_for_log(sandbox, 504)
        assert handled == []
        assert http.get(PING, headers=headers, timeout=2).status_code == 200
    assert handled == [f"GET {PING}"]


def test_hang_after_processing_makes_the_change_but_loses_the_answer() -> None:
    sandbox, handled = build()
    headers = auth_headers(sandbox)
    sandbox.faults.fail(PING, hang=30, process=True, method="POST")
    with serve_in_thread(sandbox) as server, httpx.Client(base_url=server.url) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.post(PING, headers=headers, timeout=0.3)
        assert handled == [f"POST {PING}"]
        sandbox.faults.clear()
        wait_for_log(sandbox, 200)


def test_drop_closes_the_connection_without_an_answer_and_unprocessed() -> None:
    sandbox, handled = build()
    headers = auth_headers(sandbox)
    sandbox.faults.fail(PING, drop=True)
    with serve_in_thread(sandbox) as server, httpx.Client(base_url=server.url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(PING, headers=headers, timeout=2)
        assert handled == []
        assert http.get(PING, headers=headers, timeout=2).status_code == 200
    assert handled == [f"GET {PING}"]
    assert [e.status for e in sandbox.log.entries("GET", PING)] == [0, 200]


def test_drop_after_processing_makes_the_change_and_sends_no_answer() -> None:
    sandbox, handled = build()
    headers = auth_headers(sandbox)
    sandbox.faults.fail(PING, drop=True, process=True, method="POST")
    with (
        serve_in_thread(sandbox) as server,
        httpx.Client(base_url=server.url) as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.post(PING, headers=headers, timeout=2)
    assert handled == [f"POST {PING}"]


def test_in_process_a_drop_is_the_wsgi_call_aborting() -> None:
    sandbox, handled = build()
    sandbox.faults.fail(PING, drop=True)
    with (
        httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://x") as http,
        pytest.raises(ConnectionAbortedError),
    ):
        http.get(PING, headers=auth_headers(sandbox))
    assert handled == []


def test_clear_removes_every_fault(world: World) -> None:
    world.sandbox.faults.set(latency=1.0, error_rate=1.0)
    world.sandbox.faults.fail(PING, status=500, count=3)
    world.sandbox.faults.clear()
    assert world.sandbox.faults.snapshot() == {"latency": 0.0, "error_rate": 0.0, "rules": []}
    assert statuses(world, 3) == [200, 200, 200]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "exactly one of status, hang and drop"),
        ({"status": 503, "hang": 1.0}, "exactly one of status, hang and drop"),
        ({"hang": 1.0, "drop": True}, "exactly one of status, hang and drop"),
        ({"status": 200}, "HTTP error status"),
        ({"status": 500, "process": True}, "hang and drop faults only"),
        ({"status": 500, "count": 0}, "at least 1"),
    ],
)
def test_fail_rejects_rules_that_make_no_sense(arguments: dict, message: str) -> None:
    sandbox, _ = build()
    with pytest.raises(ValueError, match=message):
        sandbox.faults.fail(PING, **arguments)
