"""`uku-xero token`: a valid access token (or the tenant id) on stdout and nothing else, the
refresh token never; refreshed under the lock when it has under 5 minutes left."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at, refreshes, stored
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def test_token_prints_the_access_token_and_nothing_else(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    result = cli("token", "-c", "acme")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"{record.access_token}\n"
    assert len(sandbox.log) == 0  # 30 minutes left: nothing to refresh


def test_tenant_prints_the_tenant_id(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    record = connect_company(sandbox)
    result = cli("token", "-c", "acme", "--tenant")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{record.tenant_id}\n", "")


def test_json_prints_the_token_the_tenant_and_the_expiry(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    result = cli("token", "-c", "acme", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document == {
        "company": "acme",
        "access_token": record.access_token,
        "token_type": "Bearer",
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "tenant_id": record.tenant_id,
        "tenant_name": record.tenant_name,
    }


@pytest.mark.parametrize("args", [[], ["--tenant"], ["--json"], ["--json", "--tenant"]])
def test_the_refresh_token_is_never_printed(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, args: list[str]
) -> None:
    connect_company(sandbox, expires_in=0)  # refreshed on the way: old and new both secret
    before = stored().refresh_token
    result = cli("token", "-c", "acme", *args)
    assert result.exit_code == 0, result.stderr
    after = stored().refresh_token
    for secret in (before, after):
        assert secret and secret not in result.stdout + result.stderr


def test_a_token_with_under_five_minutes_left_is_refreshed_first(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    old = connect_company(sandbox, expires_in=240)
    result = cli("token", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert refreshes(sandbox) == [200]
    new = stored()
    assert new.access_token != old.access_token
    assert result.stdout == f"{new.access_token}\n"
    assert new.expires_at and new.expires_at - datetime.now(UTC) > timedelta(minutes=25)


def test_a_token_with_six_minutes_left_is_printed_as_it_is(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, expires_in=360)
    result = cli("token", "-c", "acme")
    assert result.stdout == f"{record.access_token}\n"
    assert refreshes(sandbox) == []


def test_eight_processes_after_expiry_refresh_exactly_once_and_print_the_same_token(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    before = connect_company(sandbox, expires_in=0)
    control.expire_access_tokens(sandbox)
    command = [sys.executable, "-m", "uku_xero_cli", "token", "-c", "acme", "--json"]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    results = [proc.communicate(timeout=60) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    assert refreshes(sandbox) == [200]
    after = stored()
    assert after.refresh_token != before.refresh_token
    assert {json.loads(out)["access_token"] for out, _ in results} == {after.access_token}


def test_a_refused_refresh_exits_4_and_prints_no_token(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, expires_in=0)
    assert record.tenant_id is not None
    control.revoke_org(sandbox, record.tenant_id)
    result = cli("token", "-c", "acme")
    assert result.exit_code == 4
    assert result.stdout == ""
    assert "run `uku-xero auth -c acme`" in result.stderr
    assert stored().needs_reauth


def test_a_company_that_is_not_connected_exits_3(cli: Cli) -> None:
    result = cli("token", "-c", "ghost")
    assert (result.exit_code, result.stdout) == (3, "")
