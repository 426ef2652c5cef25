"""`push-invoice` and `check-paid` as a user runs them, against the strict emulator over
loopback HTTP: output, JSON documents, exit codes, and no request at all for bad input."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CliResult
from tests.invoice_helpers import (
    COMPANY,
    connect,
    invoice,
    org,
    point_at,
    ready,
    write,
)
from tests.test_invoice_file import (
    BrokenInput,
    assert_reported_exactly,
    broken_inputs,
    mutated_invoices,
)
from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer

Cli = Callable[..., CliResult]
BAD_ACCOUNT_LINE = {**invoice()["lines"][0], "account_code": "090"}  # a bank account


@pytest.fixture
def xero(
    sandbox: Sandbox, sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    point_at(sandbox_server, monkeypatch)
    ready(sandbox)
    return sandbox


def doc(result: CliResult) -> dict[str, Any]:
    data = result.json()
    assert isinstance(data, dict)
    return data


def test_pushing_a_file_shows_a_table_and_exits_0(cli: Cli, xero: Sandbox, tmp_path: Path) -> None:
    path = write(tmp_path, "inv.json", invoice())
    result = cli("push-invoice", "-c", COMPANY, path)
    assert result.exit_code == 0, result.stderr
    for text in ("UKU-2026-0001", "Brand New Client Ltd", "540.00", "GBP", "AUTHORISED", "created"):
        assert text in result.stdout
    assert "1 created; 2 requests to Xero" in result.stderr
    again = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert again.exit_code == 0
    [row] = doc(again)["invoices"]
    assert row["result"] == "unchanged" and row["total"] == "540.00"
    assert doc(again)["requests"] == 0 and "error" not in doc(again)


def test_stdin_is_read_with_a_dash(
    cli: Cli, xero: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.dumps([invoice("UKU-A"), invoice("UKU-B")]).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = cli("push-invoice", "-c", COMPANY, "-", "--json")
    assert result.exit_code == 0, result.stdout
    assert [r["result"] for r in doc(result)["invoices"]] == ["created", "created"]


INVALID_INPUTS = [
    pytest.param(
        invoice(lines=[{**invoice()["lines"][0], "unit_price": "ten"}]),
        "lines[0].unit_price: not a number",
        id="not-a-number",
    ),
    pytest.param(invoice(lines=[]), "lines: at least one line is required", id="no-lines"),
    pytest.param(invoice(issue_date="01/11/2026"), "issue_date: not a date", id="bad-date"),
    pytest.param(invoice(amounts_are="net"), "amounts_are: must be exclusive", id="amounts-are"),
    pytest.param(
        invoice(lines=[{**invoice()["lines"][0], "quantity": "0"}]),
        "lines[0].quantity: must be greater than 0",
        id="zero-quantity",
    ),
    pytest.param("{not json", "not valid JSON", id="not-json"),
    pytest.param(invoice(currency="JPY"), "currency: JPY is not enabled", id="currency"),
    pytest.param(
        invoice(lines=[{**invoice()["lines"][0], "tax_type": "OUTPUT9"}]),
        "lines[0].tax_type: OUTPUT9 is not an active Xero tax rate",
        id="tax-type",
    ),
    pytest.param(
        invoice(lines=[{**invoice()["lines"][0], "product_code": "NO-SUCH-ITEM"}]),
        "lines[0].product_code: NO-SUCH-ITEM is not a Xero item",
        id="product-code",
    ),
    pytest.param(
        invoice(lines=[{**invoice()["lines"][0], "account_code": None}]),
        "lines[0].account_code: required",
        id="account-code",
    ),
    pytest.param([invoice("UKU-1"), invoice("UKU-1")], "is also the number of", id="duplicate"),
]


@pytest.mark.parametrize(("body", "problem"), INVALID_INPUTS)
def test_every_kind_of_invalid_input_exits_2_and_sends_nothing(
    cli: Cli, xero: Sandbox, tmp_path: Path, body: Any, problem: str
) -> None:
    path = write(tmp_path, "inv.json", body)
    human = cli("push-invoice", "-c", COMPANY, path)
    assert human.exit_code == 2
    assert problem in human.stderr and "nothing was sent" in human.stderr
    assert "Traceback" not in human.stderr and human.stdout == ""
    machine = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert machine.exit_code == 2
    error = doc(machine)["error"]
    assert error["code"] == "invalid_invoice"
    assert any(problem in p for p in error["problems"])
    assert xero.log.entries() == []


def test_a_missing_file_exits_2_and_sends_nothing(cli: Cli, xero: Sandbox, tmp_path: Path) -> None:
    result = cli("push-invoice", "-c", COMPANY, str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "cannot read" in result.stderr
    assert xero.log.entries() == []


def test_without_reference_data_push_says_to_reload_first(
    cli: Cli,
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    point_at(sandbox_server, monkeypatch)
    connect(sandbox)
    result = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", invoice()))
    assert result.exit_code == 2
    # The advice is given once, as the hint under the problem.
    assert result.stderr == (
        "error: the store has no tax rates or currencies from Xero yet; nothing was sent\n"
        "  no reference data imported from Xero\n"
        "run `uku-xero reload -c acme` first: it imports tax rates, currencies and items\n"
    )
    machine = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", invoice()), "--json")
    error = doc(machine)["error"]
    assert error["problems"] == ["no reference data imported from Xero"]
    assert error["hint"].startswith("run `uku-xero reload -c acme` first")
    assert sandbox.log.entries() == []


def test_a_company_that_is_not_connected_exits_3(cli: Cli, xero: Sandbox, tmp_path: Path) -> None:
    from uku_xero_cli.settings import load_settings

    load_settings().token_file(COMPANY).unlink()
    xero.log.clear()
    result = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", invoice()))
    assert result.exit_code == 3 and "not connected" in result.stderr
    assert xero.log.entries() == []


def test_pushing_for_a_company_never_connected_exits_3_and_creates_no_store(
    cli: Cli, tmp_path: Path
) -> None:
    from uku_xero_cli.settings import load_settings

    result = cli("push-invoice", "-c", "nowhere", write(tmp_path, "inv.json", invoice()))
    assert result.exit_code == 3 and "not connected" in result.stderr
    assert not load_settings().store_file("nowhere").exists()


def test_a_dry_run_shows_the_exact_xero_json_and_sends_nothing(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    path = write(tmp_path, "inv.json", invoice())
    table = cli("push-invoice", "-c", COMPANY, path, "--dry-run")
    assert table.exit_code == 0
    assert "dry run: nothing sent" in table.stdout and "would create" in table.stdout
    result = cli("push-invoice", "-c", COMPANY, path, "--dry-run", "--json")
    assert result.exit_code == 0
    # Money goes out as JSON numbers written exactly as the file held them.
    assert '"UnitAmount": 450.00' in result.stdout and '"Quantity": 1,' in result.stdout
    document = json.loads(result.stdout, parse_float=Decimal)
    [request] = document["requests"]
    assert request["method"] == "PUT" and request["path"] == "/Invoices"
    [body] = request["body"]["Invoices"]
    assert body["InvoiceNumber"] == "UKU-2026-0001" and body["Status"] == "AUTHORISED"
    assert body["LineItems"][0]["UnitAmount"] == Decimal("450.00")
    assert document["invoices"][0]["result"] == "would create"
    assert xero.log.entries() == []


def test_a_partial_batch_exits_6_with_reasons_per_invoice(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    body = [invoice("UKU-1"), invoice("UKU-2", lines=[BAD_ACCOUNT_LINE]), invoice("UKU-3")]
    path = write(tmp_path, "inv.json", body)
    human = cli("push-invoice", "-c", COMPANY, path)
    assert human.exit_code == 6
    assert "Account code '090' is not a valid code for this document." in human.stdout
    assert "error: 1 of 3 invoices was rejected" in human.stderr
    bad = write(
        tmp_path, "bad.json", [invoice("UKU-2", lines=[BAD_ACCOUNT_LINE]), invoice("UKU-4")]
    )
    machine = cli("push-invoice", "-c", COMPANY, bad, "--json")
    assert machine.exit_code == 6
    document = doc(machine)
    assert [(r["number"], r["result"]) for r in document["invoices"]] == [
        ("UKU-2", "rejected"),
        ("UKU-4", "created"),
    ]
    assert document["error"]["code"] == "partial"
    assert document["error"]["failures"] == [
        {"item": "UKU-2", "reasons": ["Account code '090' is not a valid code for this document."]}
    ]


def test_every_invoice_rejected_by_xero_exits_2(cli: Cli, xero: Sandbox, tmp_path: Path) -> None:
    path = write(tmp_path, "inv.json", invoice("UKU-9", lines=[BAD_ACCOUNT_LINE]))
    result = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert result.exit_code == 2
    assert doc(result)["error"]["code"] == "rejected"
    assert doc(result)["invoices"][0]["result"] == "rejected"


def test_a_refused_change_names_the_xero_status(cli: Cli, xero: Sandbox, tmp_path: Path) -> None:
    assert cli("push-invoice", "-c", COMPANY, write(tmp_path, "a.json", invoice())).exit_code == 0
    changed = write(tmp_path, "b.json", invoice(reference="changed"))
    result = cli("push-invoice", "-c", COMPANY, changed)
    assert result.exit_code == 2
    assert "refused" in result.stdout and "is AUTHORISED" in result.stdout


# -- check-paid ------------------------------------------------------------------------------


def test_check_paid_shows_payments_and_what_changed(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    path = write(tmp_path, "inv.json", [invoice("UKU-1"), invoice("UKU-2")])
    pushed = doc(cli("push-invoice", "-c", COMPANY, path, "--json"))
    ids = {r["number"]: r["invoice_id"] for r in pushed["invoices"]}
    accounting.record_payment(xero, org(xero), ids["UKU-1"], Decimal("100.50"), date(2026, 11, 20))
    accounting.set_invoice_status(xero, org(xero), ids["UKU-2"], "VOIDED")
    human = cli("check-paid", "-c", COMPANY)
    assert human.exit_code == 0, human.stderr
    assert "2026-11-20  100.50" in human.stdout
    assert "part paid" in human.stdout and "voided" in human.stdout
    assert "2 changed since the previous check" in human.stderr
    accounting.record_payment(xero, org(xero), ids["UKU-1"], Decimal("439.50"), date(2026, 11, 28))
    machine = cli("check-paid", "-c", COMPANY, "UKU-1", "--json")
    assert machine.exit_code == 0
    [row] = doc(machine)["invoices"]
    assert row["state"] == "paid" and row["status"] == "PAID"
    assert row["fully_paid_on"] == "2026-11-28"
    assert row["payments"] == [
        {"date": "2026-11-20", "amount": "100.50"},
        {"date": "2026-11-28", "amount": "439.50"},
    ]
    assert "status" in row["changed"] and row["amount_due"] == "0.00"


def test_check_paid_of_a_company_not_connected_exits_3_and_creates_no_store(cli: Cli) -> None:
    from uku_xero_cli.settings import load_settings

    result = cli("check-paid", "-c", "nowhere")
    assert result.exit_code == 3 and "not connected" in result.stderr
    store_file = load_settings().store_file("nowhere")
    assert not store_file.exists() and not store_file.parent.exists()


def test_check_paid_of_an_unknown_number_exits_2(cli: Cli, xero: Sandbox) -> None:
    result = cli("check-paid", "-c", COMPANY, "UKU-404", "--json")
    assert result.exit_code == 2 and "UKU-404" in doc(result)["error"]["message"]
    assert xero.log.entries() == []


# -- fuzzing -----------------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=broken_inputs())
def test_known_invalid_files_report_exactly_their_problems_exit_2_and_send_nothing(
    cli: Cli, xero: Sandbox, tmp_path: Path, case: BrokenInput
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(case.data)
    before = len(xero.log)
    result = cli("push-invoice", "-c", COMPANY, str(path), "--json")
    assert result.exit_code == 2, result.stdout
    error = doc(result)["error"]
    assert error["code"] == "invalid_invoice"
    assert_reported_exactly(error["problems"], str(path), case)
    assert len(xero.log) == before


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutated_invoices() | st.binary(max_size=80))
def test_fuzzed_files_never_produce_a_traceback(
    cli: Cli, xero: Sandbox, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    before = len(xero.log)
    result = cli("push-invoice", "-c", COMPANY, str(path), "--json")
    assert "Traceback" not in result.stderr + result.stdout
    document = doc(result)  # one JSON document, whatever happened
    error = document.get("error")
    assert error is None or error["code"] != "unexpected", error
    if error is not None and error["code"] == "invalid_invoice":
        assert result.exit_code == 2 and len(xero.log) == before
