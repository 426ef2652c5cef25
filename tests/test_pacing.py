"""The pacer keeps requests under Xero's limits without waiting to be refused."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from uku_xero_cli.errors import ConfigError
from uku_xero_cli.settings import load_settings, write_config
from uku_xero_cli.xero.client import XeroClient
from uku_xero_cli.xero.pacing import PaceLimits, Pacer, shared_pacer


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(fake: FakeTime, **limits: float) -> Pacer:
    return Pacer(PaceLimits(**limits), clock=fake.clock, sleep=fake.sleep)  # type: ignore[arg-type]


def run_requests(p: Pacer, fake: FakeTime, tenant: str, count: int, duration: float = 0.0):
    starts = []
    for _ in range(count):
        with p.slot(tenant):
            starts.append(fake.now)
            fake.now += duration
    return starts


def test_requests_within_the_minute_limit_go_without_waiting() -> None:
    fake = FakeTime()
    starts = run_requests(pacer(fake, per_minute=10, window=2.0), fake, "t1", 10)
    assert fake.slept == []
    assert starts == [1000.0] * 10


def test_the_call_over_the_minute_limit_waits_until_the_oldest_ages_out() -> None:
    fake = FakeTime()
    starts = run_requests(pacer(fake, per_minute=10, window=2.0), fake, "t1", 25, 0.01)
    # Any 10 consecutive calls span at least one window, measured from finish to start.
    for first, eleventh in zip(starts, starts[10:], strict=False):
        assert eleventh - (first + 0.01) >= 2.0 - 1e-9
    # ...and no more than that: the pace stays close to the limit.
    assert starts[-1] - starts[0] < 2 * 2.0 + 25 * 0.01 + 0.01


def test_each_tenant_has_its_own_minute_budget() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=3, window=60.0)
    run_requests(p, fake, "t1", 3)
    run_requests(p, fake, "t2", 3)
    assert fake.slept == []
    run_requests(p, fake, "t1", 1)
    assert fake.slept == [pytest.approx(60.0)]


def test_the_app_wide_budget_is_shared_by_every_tenant() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=100, app_per_minute=4, window=10.0)
    for tenant in ("a", "b", "c", "d"):
        run_requests(p, fake, tenant, 1)
    assert fake.slept == []
    run_requests(p, fake, "e", 1)
    assert fake.slept == [pytest.approx(10.0)]


def test_fewer_calls_left_at_xero_slows_the_pacer_down() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=60, window=60.0)
    with p.slot("t1"):
        pass
    # Another process has used most of the tenant's minute: Xero says 2 calls remain.
    p.observe("t1", {"X-MinLimit-Remaining": "2"})
    run_requests(p, fake, "t1", 2)
    assert fake.slept == []
    run_requests(p, fake, "t1", 1)
    assert fake.slept == [pytest.approx(60.0)]
    assert p.stats("t1").minute_remaining == 2


def test_more_calls_left_at_xero_never_raises_the_configured_pace() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=2, window=60.0)
    run_requests(p, fake, "t1", 2)
    p.observe("t1", {"x-minlimit-remaining": "58"})
    run_requests(p, fake, "t1", 1)
    assert fake.slept == [pytest.approx(60.0)]


def test_remaining_headers_are_read_in_any_case_and_junk_is_ignored() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=5, window=60.0)
    p.observe("t1", {"X-DAYLIMIT-REMAINING": "4321", "X-MinLimit-Remaining": "lots"})
    stats = p.stats("t1")
    assert stats.day_remaining == 4321
    assert stats.minute_remaining is None
    run_requests(p, fake, "t1", 5)
    assert fake.slept == []


def test_app_minute_remaining_slows_every_tenant() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=60, app_per_minute=100, window=60.0)
    run_requests(p, fake, "a", 1)
    p.observe("a", {"X-AppMinLimit-Remaining": "1"})
    run_requests(p, fake, "b", 1)
    assert fake.slept == []
    run_requests(p, fake, "c", 1)
    assert fake.slept == [pytest.approx(60.0)]


def test_hold_stops_the_tenant_for_retry_after_seconds() -> None:
    fake = FakeTime()
    p = pacer(fake)
    p.hold("t1", 7.0)
    run_requests(p, fake, "t2", 1)
    assert fake.slept == []
    run_requests(p, fake, "t1", 1)
    assert fake.slept == [pytest.approx(7.0)]


def test_no_more_than_the_concurrent_limit_are_in_flight() -> None:
    p = Pacer(PaceLimits(concurrent=3, per_minute=1000))
    lock = threading.Lock()
    in_flight = 0
    peak = 0

    def request() -> None:
        nonlocal in_flight, peak
        with p.slot("t1"):
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert peak == 3
    assert p.stats("t1").requests == 12


def test_a_failed_request_still_frees_its_slot() -> None:
    p = Pacer(PaceLimits(concurrent=1))
    with pytest.raises(RuntimeError), p.slot("t1"):
        raise RuntimeError("boom")
    done = threading.Event()

    def again() -> None:
        with p.slot("t1"):
            done.set()

    thread = threading.Thread(target=again)
    thread.start()
    thread.join(2)
    assert done.is_set()


def test_the_shared_pacer_is_one_per_process() -> None:
    assert shared_pacer() is shared_pacer()


@pytest.mark.parametrize("limits", [{"concurrent": 0}, {"per_minute": 0}, {"window": 0.0}])
def test_nonsense_limits_are_refused(limits: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PaceLimits(**limits)  # type: ignore[arg-type]


def test_a_refusal_with_retry_after_is_held_for_that_long_not_a_whole_window() -> None:
    fake = FakeTime()
    p = pacer(fake, per_minute=60, window=60.0)
    run_requests(p, fake, "t1", 1)
    p.observe("t1", {"X-MinLimit-Remaining": "0", "Retry-After": "5"})
    p.hold("t1", 5.0)
    run_requests(p, fake, "t1", 1)
    assert fake.slept == [pytest.approx(5.0)]


# -- limits the user configures ----------------------------------------------------------------


def test_limits_come_from_config_toml_and_the_environment_wins(
    isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().limits == PaceLimits(5, 60, 10_000)
    write_config(
        isolated_dirs["config"],
        {"limits": {"concurrent": 2, "per_minute": 30, "app_per_minute": 500}},
    )
    assert load_settings().limits == PaceLimits(2, 30, 500)
    monkeypatch.setenv("UKU_XERO_MAX_CONCURRENT", "1")
    monkeypatch.setenv("UKU_XERO_MAX_PER_MINUTE", "12")
    monkeypatch.setenv("UKU_XERO_APP_MAX_PER_MINUTE", "100")
    assert load_settings().limits == PaceLimits(1, 12, 100)


@pytest.mark.parametrize(
    ("config", "env", "named"),
    [
        ({"limits": {"per_minute": 0}}, {}, "limits.per_minute"),
        ({"limits": {"concurrent": "many"}}, {}, "limits.concurrent"),
        ({"limits": {"concurrent": True}}, {}, "limits.concurrent"),
        ({"limits": 5}, {}, "[limits]"),
        ({}, {"UKU_XERO_MAX_PER_MINUTE": "-3"}, "UKU_XERO_MAX_PER_MINUTE"),
        ({}, {"UKU_XERO_MAX_CONCURRENT": "2.5"}, "UKU_XERO_MAX_CONCURRENT"),
    ],
)
def test_unusable_limits_are_refused_naming_where_they_came_from(
    isolated_dirs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, object],
    env: dict[str, str],
    named: str,
) -> None:
    write_config(isolated_dirs["config"], config)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings()


def test_the_api_client_paces_at_the_configured_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UKU_XERO_MAX_PER_MINUTE", "7")
    monkeypatch.setenv("UKU_XERO_MAX_CONCURRENT", "2")
    with XeroClient(load_settings(), "acme", access_token="t") as client:
        assert (client.pacer.limits.per_minute, client.pacer.limits.concurrent) == (7, 2)
        # Every client of the process shares one budget when they agree on the limits.
        with XeroClient(load_settings(), "other", access_token="t") as second:
            assert second.pacer is client.pacer


def test_the_configured_minute_limit_is_what_the_pacer_keeps_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UKU_XERO_MAX_PER_MINUTE", "3")
    fake = FakeTime()
    p = Pacer(load_settings().limits, clock=fake.clock, sleep=fake.sleep)
    starts = run_requests(p, fake, "t1", 4)
    assert starts[:3] == [1000.0] * 3
    assert starts[3] == pytest.approx(1060.0)
