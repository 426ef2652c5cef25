"""The emulator's credit allocation (`accounting.allocate_credit`), seen through its API as a
client sees it: the invoice's credited and due amounts, its credit notes, its status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.books.errors import BooksRefused
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.sandbox.state import Organisation

API = "/api.xro/2.0"


def org(sandbox: Sandbox) -> Organisation:
    return sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]]


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    answer = grant_for_tests(sandbox)
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox),
        base_url=f"http://sandbox.test{API}",
        headers={
            "Authorization": f"Bearer {answer['access_token']}",
            "xero-tenant-id": org(sandbox).tenant_id,
            "Accept": "application/json",
        },
    ) as client:
        yield client


def open_sale(api: httpx.Client) -> dict[str, Any]:
    """An AUTHORISED sales invoice with nothing paid or credited yet."""
    answer = api.get("/Invoices", params={"where": 'Type=="ACCREC" AND Status=="AUTHORISED"'})
    assert answer.status_code == 200, answer.text
    for record in answer.json()["Invoices"]:
        if record["AmountPaid"] == 0 and record["AmountCredited"] == 0:
            return dict(record)
    raise AssertionError("the emulator has no untouched open sales invoice")


def invoice(api: httpx.Client, invoice_id: str) -> dict[str, Any]:
    answer = api.get(f"/Invoices/{invoice_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["Invoices"][0]
    return found


def test_a_partial_credit_lowers_what_is_due_and_lists_the_credit_note(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    sale = open_sale(api)
    total = Decimal(str(sale["Total"]))
    note = accounting.allocate_credit(
        sandbox, org(sandbox), sale["InvoiceID"], Decimal("10.00"), date(2026, 11, 20)
    )
    after = invoice(api, sale["InvoiceID"])
    assert Decimal(str(after["AmountCredited"])) == Decimal("10.00")
    assert Decimal(str(after["AmountDue"])) == total - Decimal("10.00")
    assert after["Status"] == "AUTHORISED" and "FullyPaidOnDate" not in after
    [applied] = after["CreditNotes"]
    assert applied["CreditNoteID"] == note["CreditNoteID"]
    assert Decimal(str(applied["AppliedAmount"])) == Decimal("10.00")
    assert after["UpdatedDateUTC"] != sale["UpdatedDateUTC"]
    listed = api.get(
        "/CreditNotes", params={"where": f'CreditNoteID==Guid("{note["CreditNoteID"]}")'}
    )
    assert listed.status_code == 200, listed.text
    [shown] = listed.json()["CreditNotes"]
    assert shown["Type"] == "ACCRECCREDIT" and shown["Status"] == "PAID"
    assert shown["Contact"]["ContactID"] == sale["Contact"]["ContactID"]
    assert Decimal(str(shown["Total"])) == Decimal("10.00")
    assert Decimal(str(shown["RemainingCredit"])) == Decimal("0")


def test_crediting_what_is_left_due_marks_the_invoice_paid(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    sale = open_sale(api)
    due = Decimal(str(sale["AmountDue"]))
    accounting.record_payment(
        sandbox, org(sandbox), sale["InvoiceID"], Decimal("1.00"), date(2026, 11, 1)
    )
    accounting.allocate_credit(
        sandbox, org(sandbox), sale["InvoiceID"], due - Decimal("1.00"), date(2026, 11, 3)
    )
    after = invoice(api, sale["InvoiceID"])
    assert after["Status"] == "PAID" and Decimal(str(after["AmountDue"])) == 0
    assert Decimal(str(after["AmountCredited"])) == due - Decimal("1.00")
    assert after["FullyPaidOnDate"].startswith("/Date(1793664000000")  # 2026-11-03


@pytest.mark.parametrize(
    ("amount", "wanted"),
    [("0.00", "greater than zero"), ("1000000.00", "exceeds")],
)
def test_xero_refuses_a_credit_it_could_not_allocate(
    sandbox: Sandbox, api: httpx.Client, amount: str, wanted: str
) -> None:
    sale = open_sale(api)
    with pytest.raises(BooksRefused, match=wanted):
        accounting.allocate_credit(
            sandbox, org(sandbox), sale["InvoiceID"], Decimal(amount), date(2026, 11, 20)
        )
    assert invoice(api, sale["InvoiceID"])["AmountCredited"] == 0


def test_a_voided_or_unknown_invoice_cannot_be_credited(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    sale = open_sale(api)
    accounting.set_invoice_status(sandbox, org(sandbox), sale["InvoiceID"], "VOIDED")
    with pytest.raises(BooksRefused, match="Authorised"):
        accounting.allocate_credit(
            sandbox, org(sandbox), sale["InvoiceID"], Decimal("1"), date(2026, 11, 20)
        )
    with pytest.raises(BooksRefused) as refused:
        accounting.allocate_credit(
            sandbox,
            org(sandbox),
            "00000000-0000-0000-0000-000000000000",
            Decimal("1"),
            date(2026, 11, 20),
        )
    assert refused.value.status == 404
