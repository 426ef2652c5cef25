"""Per-company locks: one file per kind of job, refused at once with the job's own message,
the same error code and exit status for every job; and no lock or store file for a company
that was never connected."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.invoice_helpers import COMPANY, invoice, point_at, ready, write
from uku_xero_cli.cli.exit_codes import exit_code_for
from uku_xero_cli.errors import LockHeld
from uku_xero_cli.locks import push_lock, reload_lock
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import Settings, load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore

Cli = Callable[..., CliResult]
Lock = Callable[[Settings, str], AbstractContextManager[None]]

KINDS: list[tuple[Lock, str, str]] = [
    (reload_lock, "reload.lock", "a reload of company 'acme' is already running"),
    (push_lock, "push.lock", "another push-invoice for company 'acme' is running"),
]


@pytest.mark.parametrize(("lock", "file_name", "message"), KINDS)
def test_a_held_lock_refuses_a_second_holder_at_once_with_its_message(
    lock: Lock, file_name: str, message: str
) -> None:
    settings = load_settings()
    with lock(settings, "acme"):
        assert (settings.company_data_dir("acme") / file_name).exists()
        started = time.monotonic()
        with pytest.raises(LockHeld) as caught, lock(settings, "acme"):
            pass
        assert time.monotonic() - started < 1.0
    assert caught.value.message == message and caught.value.code == "lock_held"
    assert int(exit_code_for(caught.value)) == 1
    with lock(settings, "acme"):  # let go when the holder is done
        pass


def test_a_push_may_run_while_a_reload_runs_and_companies_do_not_block_each_other() -> None:
    settings = load_settings()
    with reload_lock(settings, "acme"), push_lock(settings, "acme"), reload_lock(settings, "beta"):
        pass


def test_reload_and_push_held_elsewhere_give_the_same_error_code_and_exit_1(
    cli: Cli,
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    point_at(sandbox_server, monkeypatch)
    ready(sandbox)
    settings = load_settings()
    with reload_lock(settings, COMPANY):
        reloaded = cli("reload", "-c", COMPANY, "--json")
    with push_lock(settings, COMPANY):
        pushed = cli("push-invoice", "-c", COMPANY, "--json", write(tmp_path, "i.json", invoice()))
    assert (reloaded.exit_code, pushed.exit_code) == (1, 1)
    reload_error, push_error = reloaded.json()["error"], pushed.json()["error"]
    assert reload_error["code"] == push_error["code"] == "lock_held"
    assert "already running" in reload_error["message"]
    assert push_error["hint"] == "wait for it to finish and run this again"
    assert sandbox.log.entries() == []


@pytest.mark.parametrize(
    "command", [("reload",), ("check-paid",), ("push-invoice", "inv.json")], ids=lambda c: c[0]
)
def test_a_company_never_connected_gets_no_lock_or_store_file(
    cli: Cli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    write(tmp_path, "inv.json", invoice())
    # Known (disconnect keeps its token file) but not connected.
    TokenStore(load_settings()).save(CompanyTokens(company="nowhere").cleared())
    name, *files = command
    result = cli(name, "-c", "nowhere", *(str(tmp_path / f) for f in files))
    assert result.exit_code == 3 and "not connected" in result.stderr
    assert not load_settings().stores_dir.exists()
