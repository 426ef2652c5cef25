"""`push-invoice` and `check-paid` as a user runs them, against the strict emulator over
loopback HTTP: output, JSON documents, exit codes, and no request at all for bad input."""

from __future__ import annotations

import io
import json
import sys
import time
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
    API,
    COMPANY,
    connect,
    invoice,
    load_reference,
    org,
    point_at,
    ready,
    write,
    xero_invoices,
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
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store.layout import CompanyFiles
from uku_xero_cli.sync.push.file import parse_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument
from uku_xero_cli.sync.push.job import PushOptions, push_invoices
from uku_xero_cli.xero.client import XeroClient
from uku_xero_cli.xero.retry import RetryPolicy

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
    # The lookup of its number, the new contact, the invoice.
    assert "1 created; 3 requests to Xero" in result.stderr
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
    # Neither the push nor a dry run made a store (or a lock) for it.
    dry = cli("push-invoice", "-c", COMPANY, "--dry-run", write(tmp_path, "inv.json", invoice()))
    assert dry.exit_code == 2 and "no reference data" in dry.stderr
    from uku_xero_cli.settings import load_settings

    assert not load_settings().stores_dir.exists()


def test_every_problem_is_listed_at_once_fields_and_reference_data(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    bad_line = {**invoice()["lines"][0], "quantity": "-1", "tax_type": "NOPE"}
    body = [
        invoice("UKU-1", issue_date="2026-02-30", currency="XYZ", lines=[bad_line]),
        invoice("UKU-2", currency="JPY"),
    ]
    path = write(tmp_path, "inv.json", body)
    for args in ((), ("--dry-run",)):
        result = cli("push-invoice", "-c", COMPANY, path, "--json", *args)
        assert result.exit_code == 2
        error = doc(result)["error"]
        assert error["message"] == "the invoice input is not valid; nothing was sent"
        # Fields first, then what the imported reference data says; "(enabled: ...)" cut.
        found = [p.removeprefix(f"{path}: ").split(" (enabled")[0] for p in error["problems"]]
        assert found == [
            "[0].issue_date: 2026-02-30 is not a calendar date",
            "[0].lines[0].quantity: must be greater than 0",
            "[0].currency: XYZ is not enabled in the Xero organisation",
            "[0].lines[0].tax_type: NOPE is not an active Xero tax rate",
            "[1].currency: JPY is not enabled in the Xero organisation",
        ]
        assert error["hint"].startswith("run `uku-xero reload -c acme` if the data changed")
    assert xero.log.entries() == []


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
    assert result.exit_code == 3 and "no company 'nowhere'" in result.stderr
    assert not load_settings().company_data_dir("nowhere").exists()


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
    # Only reads, of what the push would read: whether Xero holds the number already, and
    # whether the new client's name is taken.
    assert {(e.method, e.path) for e in xero.log.entries()} == {
        ("GET", "/api.xro/2.0/Invoices"),
        ("GET", "/api.xro/2.0/Contacts"),
    }


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


def test_a_change_to_a_paid_invoice_is_refused_naming_the_payment(
    cli: Cli, xero: Sandbox, tmp_path: Path
) -> None:
    assert cli("push-invoice", "-c", COMPANY, write(tmp_path, "a.json", invoice())).exit_code == 0
    edited = write(tmp_path, "b.json", invoice(reference="edited"))
    updated = cli("push-invoice", "-c", COMPANY, edited)
    assert updated.exit_code == 0, updated.stderr
    assert "updated" in updated.stdout
    accounting.record_payment(
        xero, org(xero), "UKU-2026-0001", Decimal("540.00"), date(2026, 11, 9)
    )
    changed = write(tmp_path, "c.json", invoice(reference="changed"))
    result = cli("push-invoice", "-c", COMPANY, changed, "--json")
    assert result.exit_code == 2
    [row] = doc(result)["invoices"]
    assert row["result"] == "refused" and row["status"] == "PAID"
    assert "already has 540.00 GBP paid" in row["reasons"][0]


# -- answers Xero gave that never arrived, and long numbers ----------------------------------
# An answer lost after Xero saved the invoice (held past the client's timeout, or the
# connection dropped with no answer at all), then a rerun — within the Idempotency-Key's
# lifetime and after it; two- and four-decimal prices; a store that never heard of an invoice
# Xero holds; and long invoice numbers that must never make a request Xero answers 404.


def priced(price: str) -> dict[str, Any]:
    return invoice(lines=[{**invoice()["lines"][0], "unit_price": price}])


def push_losing_the_answer(sandbox: Sandbox, body: dict[str, Any], fault: str) -> None:
    """Push once while Xero saves the invoice but its answer never reaches the client: held
    past the client's timeout, or the connection closed with no answer, on every attempt."""
    attempts = 2
    lost: dict[str, Any] = {"hang": 3} if fault == "hang" else {"drop": True}
    sandbox.faults.fail(f"{API}/Invoices", method="PUT", process=True, count=attempts, **lost)
    documents = [InvoiceDocument("inv.json", json.dumps(body).encode())]
    client = XeroClient(
        load_settings(),
        COMPANY,
        timeout=0.5,
        retry=RetryPolicy(attempts=attempts, sleep=lambda _s: None),
    )
    try:
        with client:
            report = push_invoices(
                load_settings(), COMPANY, parse_documents(documents), PushOptions(), client=client
            )
    finally:
        sandbox.faults.clear()
    # A held request reaches the log once the hang is let go.
    deadline = time.monotonic() + 5
    while len(sandbox.log.entries("PUT", f"{API}/Invoices")) < attempts:
        assert time.monotonic() < deadline, "the lost requests never reached the log"
        time.sleep(0.02)
    assert [r.result for r in report.results] == ["unconfirmed"]
    assert len(xero_invoices(sandbox, body["number"])) == 1  # Xero did save it


@pytest.mark.parametrize("after_the_key_expired", [False, True], ids=["soon", "key-expired"])
@pytest.mark.parametrize("price", ["450.00", "12.3456"])
@pytest.mark.parametrize("fault", ["hang", "drop"])
def test_a_rerun_after_a_lost_answer_records_the_invoice_xero_saved(
    xero: Sandbox,
    cli: Cli,
    tmp_path: Path,
    fault: str,
    price: str,
    after_the_key_expired: bool,
) -> None:
    body = priced(price)
    push_losing_the_answer(xero, body, fault)
    if after_the_key_expired:
        # Xero has forgotten the Idempotency-Key: only the lookup stands between the rerun
        # and a second invoice.
        xero.clock.advance(xero.config.idempotency_ttl + 1)
    xero.log.clear()
    result = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", body), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    [row] = doc(result)["invoices"]
    assert row["result"] == "recovered" and row["status"] == "AUTHORISED"
    [saved] = xero_invoices(xero, body["number"])
    assert row["invoice_id"] == saved["InvoiceID"]
    assert xero.log.entries("PUT", f"{API}/Invoices") == []
    assert xero.log.entries("POST", f"{API}/Invoices") == []
    [lookup] = xero.log.entries("GET", f"{API}/Invoices")
    assert lookup.query["InvoiceNumbers"] == [body["number"]]
    assert lookup.query["page"] == ["1"] and lookup.query["unitdp"] == ["4"]
    # Recorded as in Xero: the next run has nothing to do, check-paid reads it back.
    again = cli("push-invoice", "-c", COMPANY, write(tmp_path, "inv.json", body), "--json")
    assert doc(again)["invoices"][0]["result"] == "unchanged" and doc(again)["requests"] == 0
    paid = cli("check-paid", "-c", COMPANY, body["number"], "--json")
    assert paid.exit_code == 0 and doc(paid)["invoices"][0]["state"] == "unpaid"


def forget_organisation_stores() -> None:
    """What a new machine or a store restored from before the push has: no record of it."""
    for store in CompanyFiles(load_settings(), COMPANY).organisation_stores().values():
        store.unlink()


def test_a_store_that_never_heard_of_an_invoice_xero_holds_adopts_it(
    xero: Sandbox, cli: Cli, tmp_path: Path
) -> None:
    """A store restored from a backup, or a new machine: no local record, one invoice."""
    path = write(tmp_path, "inv.json", invoice())
    assert cli("push-invoice", "-c", COMPANY, path).exit_code == 0
    forget_organisation_stores()
    load_reference(xero)
    result = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert result.exit_code == 0, result.stderr
    assert doc(result)["invoices"][0]["result"] == "recovered"
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1
    assert xero.log.entries("PUT", f"{API}/Invoices") == []


def test_a_store_restored_from_a_backup_taken_before_the_push_never_duplicates(
    xero: Sandbox, cli: Cli, tmp_path: Path
) -> None:
    """The README's backup recipe (SQLite's online backup), taken before a push and restored
    after it: the restored store has no record of the invoice, Xero has it."""
    import sqlite3

    path = write(tmp_path, "inv.json", invoice())
    [store] = CompanyFiles(load_settings(), COMPANY).organisation_stores().values()
    backup = tmp_path / "backup.sqlite"
    source, copy = sqlite3.connect(store), sqlite3.connect(backup)
    source.backup(copy)
    source.close()
    copy.close()
    assert cli("push-invoice", "-c", COMPANY, path).exit_code == 0
    for companion in store.parent.glob(store.name + "-*"):
        companion.unlink()
    store.write_bytes(backup.read_bytes())
    result = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert result.exit_code == 0, result.stderr
    assert doc(result)["invoices"][0]["result"] == "recovered"
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1
    assert len(xero.log.entries("PUT", f"{API}/Invoices")) == 1  # the first push's only
    again = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert doc(again)["invoices"][0]["result"] == "unchanged" and doc(again)["requests"] == 0


def test_an_invoice_xero_holds_with_other_content_is_updated_while_xero_allows(
    xero: Sandbox, cli: Cli, tmp_path: Path
) -> None:
    assert cli("push-invoice", "-c", COMPANY, write(tmp_path, "a.json", invoice())).exit_code == 0
    forget_organisation_stores()
    load_reference(xero)
    changed = write(tmp_path, "b.json", invoice(reference="Corrected reference"))
    result = cli("push-invoice", "-c", COMPANY, changed, "--json")
    assert result.exit_code == 0, result.stderr
    assert doc(result)["invoices"][0]["result"] == "updated"
    [saved] = xero_invoices(xero, "UKU-2026-0001")
    assert saved["Reference"] == "Corrected reference"


def test_sixty_invoices_with_100_character_numbers_push_and_check_without_a_404(
    xero: Sandbox, cli: Cli, tmp_path: Path
) -> None:
    numbers = [f"UKU-{'LONG-' * 18}{n:06d}" for n in range(60)]
    assert {len(n) for n in numbers} == {100}
    path = write(tmp_path, "many.json", [invoice(n) for n in numbers])
    pushed = cli("push-invoice", "-c", COMPANY, path, "--json")
    assert pushed.exit_code == 0, pushed.stderr
    assert doc(pushed)["counts"] == {"created": 60}
    checked = cli("check-paid", "-c", COMPANY, "--json")
    assert checked.exit_code == 0, checked.stderr
    assert [r["state"] for r in doc(checked)["invoices"]] == ["unpaid"] * 60
    assert xero.log.count(status=404) == 0
    lookups = xero.log.entries("GET", f"{API}/Invoices")
    # The number lookup took several requests (about 19 numbers each), check-paid two by ID.
    assert len([e for e in lookups if "InvoiceNumbers" in e.query]) >= 4
    assert len([e for e in lookups if "IDs" in e.query]) == 2
    assert all(len(xero_invoices(xero, n)) == 1 for n in numbers)


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
    assert result.exit_code == 3 and "no company 'nowhere'" in result.stderr
    assert not load_settings().stores_dir.exists()


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
@given(case=broken_inputs(mixed=True))
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
