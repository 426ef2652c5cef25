"""Token refresh across processes: one refresh for many, and recovery from a crash mid-refresh."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at, refreshes, stored
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.tokens import CompanyTokens

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def test_eight_processes_with_an_expired_token_refresh_exactly_once(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    before = connect_company(sandbox, expires_in=0)
    control.expire_access_tokens(sandbox)  # the old access token would be refused, too
    command = [sys.executable, "-m", "uku_xero_cli", "status", "-c", "acme", "--json"]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [proc.communicate(timeout=60) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert json.loads(out)["state"] == "connected"
    assert refreshes(sandbox) == [200]
    after = stored()
    assert after.refresh_token != before.refresh_token
    assert sandbox.state.refresh_tokens[after.refresh_token or ""].used_at is None
    # Every process used the one new access token: no 401s at the emulator.
    assert [e.status for e in sandbox.log.entries("GET", "/connections")] == [200] * 8


_CRASH_BEFORE_SAVE = """
import os, sys
from uku_xero_cli import tokens

def crash(self, record):
    os._exit(9)  # the refresh answer arrived; the process dies before writing it

tokens.TokenStore.save = crash
from uku_xero_cli.cli.app import main
sys.exit(main(["status", "-c", "acme"]))
"""


def crash_during_refresh() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _CRASH_BEFORE_SAVE], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 9, proc.stderr


def test_a_crash_after_the_refresh_answer_recovers_through_the_grace_period(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    before = connect_company(sandbox, expires_in=0)
    crash_during_refresh()
    assert refreshes(sandbox) == [200]
    assert stored().refresh_token == before.refresh_token  # the rotation was lost
    result = cli("status", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert refreshes(sandbox) == [200, 200]  # the rotated-away token was accepted once more
    after = stored()
    assert after.refresh_token != before.refresh_token and not after.needs_reauth


def test_the_rotated_refresh_token_is_saved_before_the_new_access_token_is_used(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.tokens import TokenStore

    connect_company(sandbox, expires_in=0)
    crash_during_refresh()
    assert refreshes(sandbox) == [200]
    # The process died saving: the new access token had reached Xero on no call.
    assert sandbox.log.count("GET", "/connections") == 0
    assert sandbox.log.count(path_prefix="/api.xro") == 0

    calls_when_saved: list[int] = []
    save = TokenStore.save

    def watched(self: TokenStore, record: CompanyTokens) -> None:
        calls_when_saved.append(sandbox.log.count("GET", "/connections"))
        save(self, record)

    monkeypatch.setattr(TokenStore, "save", watched)
    assert cli("status", "-c", "acme").exit_code == 0
    assert refreshes(sandbox) == [200, 200]
    assert calls_when_saved == [0]  # saved first ...
    assert [e.status for e in sandbox.log.entries("GET", "/connections")] == [200]  # ... then used


def test_after_the_grace_period_a_lost_rotation_needs_reauthorization(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, expires_in=0)
    crash_during_refresh()
    sandbox.clock.advance(sandbox.config.refresh_grace + 1)
    result = cli("status", "-c", "acme")
    assert result.exit_code == 4
    assert "run `uku-xero auth -c acme`" in result.stderr
    assert refreshes(sandbox) == [200, 400]
    assert stored().needs_reauth


def test_a_process_that_waited_for_the_lock_uses_the_token_refreshed_meanwhile(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    from uku_xero_cli.oauth.flow import IdentityClient
    from uku_xero_cli.oauth.refresh import apply_refresh, fresh_tokens
    from uku_xero_cli.settings import load_settings
    from uku_xero_cli.tokens import TokenStore

    connect_company(sandbox, expires_in=0)
    settings = load_settings()
    waiting_for_lock = threading.Event()

    class Announcing(TokenStore):
        @contextmanager
        def lock(self, company: str, timeout: float = 60.0) -> Iterator[None]:
            waiting_for_lock.set()
            with super().lock(company, timeout):
                yield

    identities: list[IdentityClient] = []

    def identity() -> IdentityClient:
        identities.append(IdentityClient(settings))
        return identities[-1]

    got: list[CompanyTokens] = []
    other = TokenStore(settings)
    with other.lock("acme"):
        waiter = threading.Thread(
            target=lambda: got.append(fresh_tokens(Announcing(settings), "acme", identity=identity))
        )
        waiter.start()
        assert waiting_for_lock.wait(10)
        # Meanwhile "another process" refreshes and saves, still holding the lock.
        record = other.load_connected("acme")
        other.save(
            apply_refresh(record, IdentityClient(settings).refresh(record.refresh_token or ""))
        )
    waiter.join(10)
    assert identities == []  # the waiter re-read the file and did not refresh
    assert got[0].access_token == stored().access_token
    assert refreshes(sandbox) == [200]
