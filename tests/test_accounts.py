"""Xero's chart of accounts, end to end over the emulator: reload imports it, `accounts` lists
it, a whole read drops what Xero deleted, and push-invoice checks account codes with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company
from tests.invoice_helpers import COMPANY, connect, invoice, org, point_at, ready, write
from tests.test_reload_cli import document
from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.books.errors import BooksRefused
from uku_xero_cli.sandbox.server import RunningServer

Cli = Callable[..., CliResult]
API = "/api.xro/2.0"


@pytest.fixture
def xero(
    sandbox: Sandbox, sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    point_at(sandbox_server, monkeypatch)
    return sandbox


def chart(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """The organisation's accounts by code, as the emulator holds them."""
    return {a["Code"]: a for a in org(sandbox).data.accounts.values()}


def unused_account(sandbox: Sandbox) -> dict[str, Any]:
    """An account Xero would let one delete: no system account, on no transaction."""
    for account in chart(sandbox).values():
        try:
            accounting.delete_account(sandbox, org(sandbox), account["AccountID"])
        except BooksRefused:
            continue
        return account
    raise AssertionError("every seeded account is in use")


def test_reload_imports_the_chart_and_accounts_lists_it(cli: Cli, xero: Sandbox) -> None:
    connect(xero)
    reloaded = cli("reload", "-c", COMPANY, "--only", "chart-of-accounts", "--json")
    assert reloaded.exit_code == 0, reloaded.stderr
    [figures] = document(reloaded)["data_sets"]
    assert (figures["data_set"], figures["requests"]) == ("accounts", 1)
    assert figures["new"] == len(chart(xero))
    listed = document(cli("accounts", "-c", COMPANY, "--json"))
    assert listed["company"] == COMPANY and listed["as_of"] is not None
    accounts = listed["accounts"]
    assert [a["code"] for a in accounts] == sorted(chart(xero))
    sales = next(a for a in accounts if a["code"] == "200")
    seeded = chart(xero)["200"]
    assert sales == {
        "account_id": seeded["AccountID"],
        "code": "200",
        "name": "Sales",
        "type": "REVENUE",
        "tax_type": seeded["TaxType"],
        "status": "ACTIVE",
        "class": "REVENUE",
        "enable_payments_to_account": False,
        "updated_utc": sales["updated_utc"],
    }
    shown = cli("accounts", "-c", COMPANY)
    assert shown.exit_code == 0
    header = next(line for line in shown.stdout.splitlines() if "tax type" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == [
        "code",
        "name",
        "type",
        "tax type",
        "status",
    ]
    assert "Business Bank Account" in shown.stdout and shown.stderr == ""


def test_accounts_before_any_reload_says_how_to_import_them(cli: Cli, xero: Sandbox) -> None:
    connect(xero)
    result = cli("accounts", "-c", COMPANY)
    assert result.exit_code == 0
    assert "run `uku-xero reload -c acme --only accounts`" in result.stderr
    assert document(cli("accounts", "-c", COMPANY, "--json")) == {
        "company": COMPANY,
        "as_of": None,
        "accounts": [],
    }


def test_an_unknown_company_has_no_accounts_exit_3(cli: Cli, xero: Sandbox) -> None:
    result = cli("accounts", "-c", "nobody", "--json")
    assert result.exit_code == 3
    assert document(result)["error"]["code"] == "unknown_company"


def test_an_incremental_reload_drops_an_account_and_an_item_deleted_in_xero(
    cli: Cli, xero: Sandbox
) -> None:
    connect_company(xero)  # with every scope a whole reload needs
    assert cli("reload", "-c", COMPANY).exit_code == 0
    gone = unused_account(xero)
    item = next(iter(org(xero).data.items.values()))
    accounting.delete_item(xero, org(xero), item["ItemID"])
    xero.log.clear()
    again = cli("reload", "-c", COMPANY, "--json")
    assert again.exit_code == 0, again.stderr
    figures = {d["data_set"]: d for d in document(again)["data_sets"]}
    assert figures["accounts"]["mode"] == figures["items"]["mode"] == "full"
    assert figures["accounts"]["requests"] == figures["items"]["requests"] == 1
    for path in ("Accounts", "Items"):
        assert xero.log.last("GET", f"{API}/{path}").header("if-modified-since") is None
    codes = {a["code"] for a in document(cli("accounts", "-c", COMPANY, "--json"))["accounts"]}
    assert gone["Code"] not in codes and codes == set(chart(xero))


def test_push_invoice_refuses_an_unknown_or_archived_account_code_and_sends_nothing(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    ready(xero)
    sales = chart(xero)["260"]
    accounting.set_account_status(xero, org(xero), sales["AccountID"], "ARCHIVED")
    assert cli("reload", "-c", COMPANY, "--only", "accounts").exit_code == 0
    xero.log.clear()
    lines = invoice()["lines"]
    for code, reason in (
        ("999", "999 is not an account in Xero's chart of accounts"),
        ("260", "260 is ARCHIVED in Xero's chart of accounts"),
    ):
        path = write(tmp_path, "inv.json", invoice(lines=[{**lines[0], "account_code": code}]))
        result = cli("push-invoice", "-c", COMPANY, path, "--json")
        assert result.exit_code == 2, result.stdout
        error = document(result)["error"]
        assert error["code"] == "invalid_invoice"
        assert error["problems"] == [f"{path}: lines[0].account_code: {reason}"]
        human = cli("push-invoice", "-c", COMPANY, path)
        assert f"lines[0].account_code: {reason}" in human.stderr and human.exit_code == 2
    assert len(xero.log) == 0


def test_push_invoice_on_a_store_without_the_chart_says_how_to_import_it(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    from tests.invoice_helpers import store
    from uku_xero_cli.sync.datasets import ACCOUNTS

    ready(xero)
    assert ACCOUNTS.table is not None
    with store() as db:  # as a store from before the chart was a data set
        db.replace_table("accounts", ACCOUNTS.table.column_names, [])
    xero.log.clear()
    result = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", invoice()))
    assert result.exit_code == 2
    assert "lines[0].account_code: 200 cannot be checked" in result.stderr
    assert "`uku-xero reload -c acme --only accounts`" in result.stderr
    assert len(xero.log) == 0
    assert cli("reload", "-c", COMPANY, "--only", "accounts").exit_code == 0
    assert cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", invoice())).exit_code == 0
