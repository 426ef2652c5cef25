"""One failure, one code, everywhere: the same cause gives the same error code and exit code
in every command; `status` shows tokens Xero refused as unusable, and a reload that did not
finish with the command that completes it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company
from tests.test_reload_cli import document
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import open_company_store

Cli = Callable[..., CliResult]


# -- no client id ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("status", "-c", "acme"),
        ("reload", "-c", "acme"),
        ("orgs", "-c", "acme"),
        ("check-paid", "-c", "acme"),
        ("auth", "-c", "acme"),
        ("disconnect", "-c", "acme", "--yes"),
    ],
)
def test_no_client_id_is_the_same_error_in_every_command_even_with_a_fresh_token(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, args: tuple
) -> None:
    record = connect_company(sandbox)  # a token good for 30 minutes: no refresh is due
    monkeypatch.delenv("XERO_CLIENT_ID")
    result = cli(*args, "--json")
    assert result.exit_code == 2, result.stdout + result.stderr
    error = document(result)["error"]
    assert error["code"] == "no_client_id"
    assert "XERO_CLIENT_ID" in error["message"] and "developer.xero.com" in error["hint"]
    assert len(sandbox.log) == 0  # nothing was asked of Xero
    assert record.connection_id in sandbox.state.connections  # nothing was cut off either


@pytest.mark.parametrize("command", ["status", "reload"])
def test_no_client_id_in_an_all_run_is_each_companys_error_with_its_hint(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    monkeypatch.delenv("XERO_CLIENT_ID")
    result = cli(command, "--all", "--json")
    assert result.exit_code == 2
    data = document(result)
    assert data["error"]["code"] == "companies_failed"
    for company in data["companies"]:
        assert company["error"]["code"] == "no_client_id"
        assert "developer.xero.com" in company["error"]["hint"]


def test_status_that_could_not_ask_xero_does_not_claim_it_did(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_company(sandbox)
    monkeypatch.delenv("XERO_CLIENT_ID")
    data = document(cli("status", "-c", "acme", "--json"))
    assert data["checked_live"] is False and data["error"]["code"] == "no_client_id"
    assert cli("status", "-c", "acme", "--offline").exit_code == 0  # nothing to ask Xero


# -- tokens Xero refused ---------------------------------------------------------------------


def test_a_revoked_company_shows_its_tokens_as_unusable(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, expires_in=1500)
    sandbox.state.refresh_tokens[record.refresh_token or ""].revoked = True
    # Xero refuses the access token too once the grant is revoked; a reload finds out.
    sandbox.state.access_tokens.clear()
    assert cli("reload", "-c", "acme", "--only", "contacts").exit_code == 4
    text = cli("status", "-c", "acme", "--offline")
    assert text.exit_code == 4
    lines = {line.split("  ")[0]: line for line in text.stdout.splitlines()}
    assert "unusable: Xero refused it" in lines["access token"]
    assert "unusable: Xero refused it" in lines["refresh token"]
    assert "min)" not in lines["access token"] and "days left" not in lines["refresh token"]
    data = document(cli("status", "-c", "acme", "--offline", "--json"))
    assert data["access_token"]["usable"] is False and data["access_token"]["seconds_left"] is None
    assert data["refresh_token"]["usable"] is False and data["refresh_token"]["days_left"] is None
    every = cli("status", "--all", "--offline")
    row = next(line for line in every.stdout.splitlines() if "acme" in line)
    assert row.count("unusable") == 2 and "left" not in row


def test_a_connected_company_shows_its_tokens_as_usable(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    data = document(cli("status", "-c", "acme", "--json"))
    assert data["access_token"]["usable"] is True and data["access_token"]["seconds_left"] > 0
    assert data["refresh_token"]["usable"] is True and data["refresh_token"]["days_left"] > 50


# -- a reload that did not finish ------------------------------------------------------------


def test_a_failed_data_set_shows_in_status_with_the_command_that_completes_it(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.faults.fail("/api.xro/2.0/Invoices", status=400, count=1)
    assert cli("reload", "-c", "acme").exit_code == 1
    result = cli("status", "-c", "acme")
    assert result.exit_code == 0  # the connection itself is fine
    assert "Unfinished reload of 'acme': invoices." in result.stdout
    assert "  uku-xero reload -c acme --only invoices" in result.stdout
    data = document(cli("status", "-c", "acme", "--json"))
    assert data["unfinished_reload"] == {
        "data_sets": ["invoices"],
        "command": "uku-xero reload -c acme --only invoices",
    }
    # The command does complete it.
    assert cli("reload", "-c", "acme", "--only", "invoices").exit_code == 0
    assert document(cli("status", "-c", "acme", "--json"))["unfinished_reload"] is None


def test_an_interrupted_data_set_shows_in_status_too(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    with open_company_store(load_settings(), "acme") as store:
        store.start_sync_run("credit_notes")  # a process that died mid-run
        store.start_sync_run("invoices")
        store.mark_abandoned_runs()
    data = document(cli("status", "-c", "acme", "--json"))
    assert data["unfinished_reload"]["data_sets"] == ["invoices", "credit_notes"]  # reload order
    every = cli("status", "--all")
    assert "uku-xero reload -c acme --only invoices,credit_notes" in every.stdout


def test_an_interrupted_reload_exits_130_with_the_command_that_completes_it(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.sync.reload import ReloadJob

    connect_company(sandbox)

    def ctrl_c(self: ReloadJob) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ReloadJob, "run", ctrl_c)
    result = cli("reload", "-c", "acme", "--only", "invoices,contacts", "--months", "3")
    assert result.exit_code == 130
    assert "the reload was interrupted" in result.stderr
    assert "complete it with `uku-xero reload -c acme --only invoices,contacts --months 3`" in (
        result.stderr
    )
    every = cli("reload", "--all", "--json")
    assert every.exit_code == 130
    error = document(every)["error"]
    assert error["code"] == "interrupted" and "uku-xero reload --all" in error["hint"]
