"""The emulator's seeded books: deterministic, realistic, and internally consistent."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import small_config
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.clock import Clock
from uku_xero_cli.sandbox.config import CONFIDENTIAL_CLIENT_ID, PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.data import OrgData
from uku_xero_cli.sandbox.xero_format import from_ms, json_bytes

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class StoppedClock(Clock):
    """A clock that does not tick, so two builds see the same `now` to the millisecond."""

    def __init__(self, moment: datetime) -> None:
        super().__init__()
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def build(start: datetime = START, **overrides: Any) -> Sandbox:
    return Sandbox(small_config(strict=False, **overrides), clock=StoppedClock(start))


def all_books(sandbox: Sandbox) -> list[OrgData]:
    return [org.data for org in sandbox.state.orgs.values() if org.data is not None]


def snapshot(sandbox: Sandbox) -> bytes:
    """Everything an API client could see, as bytes."""
    world = {
        tenant: {
            name: getattr(org.data, name)
            for name in (
                "organisation",
                "accounts",
                "tax_rates",
                "currencies",
                "contacts",
                "items",
                "invoices",
                "payments",
                "credit_notes",
                "bank_transactions",
                "manual_journals",
            )
        }
        for tenant, org in sandbox.state.orgs.items()
    }
    return json_bytes(json.loads(json_bytes(world)))


def day_of(record: dict[str, Any]) -> date:
    return date.fromisoformat(record["DateString"][:10])


@pytest.fixture(scope="module")
def big() -> Sandbox:
    """Enough records for the shares below to be meaningful."""
    return build(contacts=4000, invoices=900, credit_notes=80, manual_journals=24)


def test_the_same_seed_gives_the_same_world_ids_and_all() -> None:
    first, second = build(), build()
    assert snapshot(first) == snapshot(second)
    assert list(first.state.orgs) == list(second.state.orgs)


def test_another_seed_gives_another_world() -> None:
    assert snapshot(build(seed=1)) != snapshot(build(seed=2))


def test_a_later_build_has_the_same_records_at_later_dates() -> None:
    early = build()
    later = build(START + timedelta(days=30))
    early_books, later_books = all_books(early)[0], all_books(later)[0]
    assert list(early_books.invoices) == list(later_books.invoices)
    pairs = zip(early_books.invoices.values(), later_books.invoices.values(), strict=True)
    assert all(day_of(b) - day_of(a) == timedelta(days=30) for a, b in pairs)


def test_the_world_keeps_its_orgs_user_and_app_clients() -> None:
    sandbox = build()
    orgs = list(sandbox.state.orgs.values())
    assert [(o.name, o.base_currency, o.country_code) for o in orgs] == [
        ("Uku Demo Ltd", "GBP", "GB"),
        ("Uku Demo OÜ", "EUR", "EE"),
    ]
    assert sandbox.state.default_user().tenant_ids == [o.tenant_id for o in orgs]
    assert set(sandbox.state.clients) == {PUBLIC_CLIENT_ID, CONFIDENTIAL_CLIENT_ID}
    assert all(o.data is not None and o.data.organisation["OrganisationID"] for o in orgs)
    counts = all_books(sandbox)[0].record_counts()
    assert (counts["contacts"], counts["invoices"], counts["items"]) == (60, 120, 12)


def test_contact_counts_and_archived_share(big: Sandbox) -> None:
    for books in all_books(big):
        assert len(books.contacts) == 4000
        archived = sum(c["ContactStatus"] == "ARCHIVED" for c in books.contacts.values())
        assert 0.03 < archived / 4000 < 0.07


def test_contact_names_are_unique_and_indexed(big: Sandbox) -> None:
    for books in all_books(big):
        names = [c["Name"].casefold() for c in books.contacts.values()]
        assert len(set(names)) == len(names)
        active = [c for c in books.contacts.values() if c["ContactStatus"] == "ACTIVE"]
        assert len(books.contact_names) == len(active)


def test_contact_details_are_realistically_untidy(big: Sandbox) -> None:
    books = all_books(big)[0]
    contacts = list(books.contacts.values())
    emails = Counter(c.get("EmailAddress") for c in contacts)
    companies = Counter(c.get("CompanyNumber") for c in contacts)
    taxes = Counter(c.get("TaxNumber") for c in contacts)
    assert emails[None] > 100 and companies[None] > 100 and taxes[None] > 100
    assert any(n > 1 for e, n in emails.items() if e)
    assert any(n > 1 for e, n in companies.items() if e)
    assert any(n > 1 for e, n in taxes.items() if e)
    assert any(" " in t for t in taxes if t)  # "GB 123 4567 89" as people type them
    assert all(t.startswith("GB") for t in taxes if t)
    assert any(c.get("FirstName") and c["Name"].startswith(c["FirstName"]) for c in contacts)
    assert any(c["Name"].endswith(("Ltd", "Limited", "PLC", "LLP")) for c in contacts)


def test_estonian_contacts_read_as_estonian(big: Sandbox) -> None:
    contacts = list(all_books(big)[1].contacts.values())
    assert any(c["Name"].endswith(("OÜ", "AS")) for c in contacts)
    assert all(t.startswith("EE") for c in contacts if (t := c.get("TaxNumber")))
    assert any(any(ch in c["Name"] for ch in "õäöü") for c in contacts)


def test_items_tax_rates_and_currencies() -> None:
    gb, ee = all_books(build())
    assert len(gb.items) == 12
    prices = [i["SalesDetails"]["UnitPrice"] for i in gb.items.values()]
    assert all(isinstance(p, Decimal) and p > 0 for p in prices)
    assert gb.tax_rates["OUTPUT2"]["EffectiveRate"] == Decimal("20")
    assert {"ZERORATEDOUTPUT", "EXEMPTOUTPUT", "NONE", "INPUT2"} <= set(gb.tax_rates)
    for books in (gb, ee):
        statuses = Counter(r["Status"] for r in books.tax_rates.values())
        assert statuses["DELETED"] == 1 and statuses["ARCHIVED"] == 1
    assert {"OUTPUT", "INPUT", "NONE"} <= set(ee.tax_rates)
    assert ee.tax_rates["OUTPUT"]["Status"] == "ACTIVE"
    assert next(iter(gb.currencies)) == "GBP" and next(iter(ee.currencies)) == "EUR"
    assert len(gb.currencies) == len(ee.currencies) == 4


def test_invoices_cover_the_history_window(big: Sandbox) -> None:
    today = START.date()
    for books in all_books(big):
        days = [day_of(i) for i in books.invoices.values()]
        assert max(days) <= today
        assert min(days) >= today - timedelta(days=18 * 31)
        assert min(days) < today - timedelta(days=15 * 30)
        stamps = [from_ms(i["_updated"]) for i in books.invoices.values()]
        assert max(stamps) <= START


def test_invoices_have_the_mix_a_real_ledger_has(big: Sandbox) -> None:
    invoices = list(all_books(big)[0].invoices.values())
    kinds = Counter(i["Type"] for i in invoices)
    statuses = Counter(i["Status"] for i in invoices)
    assert kinds["ACCREC"] > kinds["ACCPAY"] > 0
    assert {"PAID", "AUTHORISED", "VOIDED", "DRAFT", "DELETED"} <= set(statuses)
    part_paid = [i for i in invoices if i["Status"] == "AUTHORISED" and i["AmountPaid"] > 0]
    credited = [i for i in invoices if i["AmountCredited"] > 0]
    assert part_paid and credited
    assert any(i["CurrencyCode"] != "GBP" for i in invoices)
    assert {i["LineAmountTypes"] for i in invoices} == {"Exclusive", "Inclusive", "NoTax"}


def test_invoice_amounts_add_up(big: Sandbox) -> None:
    for books in all_books(big):
        for invoice in books.invoices.values():
            lines = invoice["LineItems"]
            tax = sum((line["TaxAmount"] for line in lines), Decimal(0))
            assert invoice["TotalTax"] == tax
            assert invoice["Total"] == invoice["SubTotal"] + invoice["TotalTax"]
            paid = sum((p["Amount"] for p in invoice["Payments"]), Decimal(0))
            credited = sum((c["AppliedAmount"] for c in invoice["CreditNotes"]), Decimal(0))
            assert invoice["AmountPaid"] == paid
            assert invoice["AmountCredited"] == credited
            if invoice["Status"] in ("VOIDED", "DELETED"):
                continue
            assert invoice["AmountDue"] == invoice["Total"] - paid - credited
            assert invoice["AmountDue"] >= 0
            assert (invoice["Status"] == "PAID") == ("FullyPaidOnDate" in invoice)
            if invoice["Status"] == "PAID":
                assert invoice["AmountDue"] == 0


def test_payments_belong_to_their_invoices(big: Sandbox) -> None:
    books = all_books(big)[0]
    listed = {p["PaymentID"] for i in books.invoices.values() for p in i["Payments"]}
    assert listed == set(books.payments)
    for payment in books.payments.values():
        invoice = books.invoices[payment["_invoice_id"]]
        assert payment["_day"] >= day_of(invoice)
        assert payment["PaymentType"] == (
            "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT"
        )


def test_sales_invoice_numbers_are_unique_and_indexed(big: Sandbox) -> None:
    books = all_books(big)[0]
    numbers = [i["InvoiceNumber"] for i in books.invoices.values() if i["Type"] == "ACCREC"]
    assert len(numbers) == len(set(numbers)) == len(books.invoice_numbers)
    assert books.next_invoice_number == len(numbers) + 1


def test_credit_notes_and_their_allocations(big: Sandbox) -> None:
    books = all_books(big)[0]
    notes = list(books.credit_notes.values())
    assert {n["Type"] for n in notes} == {"ACCRECCREDIT", "ACCPAYCREDIT"}
    for note in notes:
        allocated = sum((a["Amount"] for a in note["Allocations"]), Decimal(0))
        assert note["RemainingCredit"] == note["Total"] - allocated
        for allocation in note["Allocations"]:
            invoice = books.invoices[allocation["Invoice"]["InvoiceID"]]
            assert note["CreditNoteID"] in {c["CreditNoteID"] for c in invoice["CreditNotes"]}


def test_bank_transactions_and_manual_journals() -> None:
    books = all_books(build())[0]
    assert len(books.bank_transactions) == 40 and len(books.manual_journals) == 6
    assert {t["Type"] for t in books.bank_transactions.values()} == {"RECEIVE", "SPEND"}
    for transaction in books.bank_transactions.values():
        assert transaction["BankAccount"]["Code"] in ("090", "091")
        assert transaction["Total"] == transaction["SubTotal"] + transaction["TotalTax"]
    for journal in books.manual_journals.values():
        assert sum(line["LineAmount"] for line in journal["JournalLines"]) == 0


def test_customers_and_suppliers_are_marked(big: Sandbox) -> None:
    books = all_books(big)[0]
    customers = {
        i["Contact"]["ContactID"] for i in books.invoices.values() if i["Type"] == "ACCREC"
    }
    marked = {c["ContactID"] for c in books.contacts.values() if c["IsCustomer"]}
    assert marked == customers


def test_every_record_has_a_past_updated_date(big: Sandbox) -> None:
    for books in all_books(big):
        for collection in (
            books.contacts,
            books.items,
            books.invoices,
            books.payments,
            books.credit_notes,
            books.bank_transactions,
            books.manual_journals,
        ):
            for record in collection.values():
                assert record["UpdatedDateUTC"] == f"/Date({record['_updated']}+0000)/"
                assert from_ms(record["_updated"]) <= START
