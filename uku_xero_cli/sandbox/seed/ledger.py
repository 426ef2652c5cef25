"""Seeded transactions over the history window: invoices and bills with part and full
payments (some voided, deleted or still draft), credit notes (some allocated to invoices),
bank transactions and manual journals.

Every choice is made from day offsets, never from the calendar date, so the same seed gives
the same records (and ids) whenever the world is built.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books.documents import (
    ZERO,
    apply_totals,
    credit,
    invoice_record,
    payment_record,
    price_lines,
    set_day,
    settle,
    touch,
)
from uku_xero_cli.sandbox.seed.common import new_id
from uku_xero_cli.sandbox.seed.reference import exchange_rate

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.data import OrgData, Record

_EXPENSE_CODES = ("400", "404", "408", "412", "429", "433", "445", "461", "469", "489", "493")
_SUPPLIER_WORDS = ("SI", "INV", "BILL", "FV", "ARVE")
_JOURNALS = (
    "Depreciation of office equipment",
    "Accrued audit fee",
    "Prepaid insurance released",
    "Payroll journal",
    "Reclassify bank fees",
    "Year-end stock adjustment",
)


class _Day:
    """Turns day offsets into dates and moments no later than `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = now.date()

    def of(self, offset: int) -> date:
        return self.today - timedelta(days=max(0, offset))

    def moment(self, day: date, rng: random.Random) -> datetime:
        start = datetime.combine(day, time(8), tzinfo=UTC)
        moment = start + timedelta(
            seconds=rng.randrange(10 * 3600), milliseconds=rng.randrange(1000)
        )
        return min(moment, self.now - timedelta(seconds=1 + rng.randrange(600)))


def _skewed(rng: random.Random, options: list[Any]) -> Any:
    # A few customers get most invoices, as in a real ledger.
    return options[int(len(options) * rng.random() ** 2)]


def _lines_for_sale(
    rng: random.Random, data: OrgData, amount_types: str, rate: Decimal
) -> list[Record]:
    lines: list[Record] = []
    items = list(data.items.values())
    count = 1 + (rng.random() < 0.35) + (rng.random() < 0.15)
    for _ in range(count):
        line: Record = {"LineItemID": new_id(rng), "Tracking": []}
        if items:
            item = rng.choice(items)
            sales = item["SalesDetails"]
            per_unit = "per " in item["Name"]
            line.update(
                Description=item["Description"],
                Quantity=Decimal(rng.randrange(1, 12)) if per_unit else Decimal("1"),
                UnitAmount=(sales["UnitPrice"] * rate).quantize(Decimal("0.01")),
                ItemCode=item["Code"],
                Item={"ItemID": item["ItemID"], "Name": item["Name"], "Code": item["Code"]},
                AccountCode=sales["AccountCode"],
                TaxType=sales["TaxType"],
            )
        else:
            line.update(
                Description="Professional services",
                Quantity=Decimal("1"),
                UnitAmount=Decimal(rng.randrange(5000, 200000)) / 100,
                AccountCode="200",
                TaxType=(data.account_by_code("200") or {}).get("TaxType", "NONE"),
            )
        if rng.random() < 0.05:
            line["DiscountRate"] = Decimal("10.00")
        lines.append(line)
    return _finish_lines(data, lines, amount_types)


def _lines_for_bill(rng: random.Random, data: OrgData, amount_types: str) -> list[Record]:
    lines: list[Record] = []
    for _ in range(1 + (rng.random() < 0.3)):
        account = data.account_by_code(rng.choice(_EXPENSE_CODES)) or {}
        lines.append(
            {
                "LineItemID": new_id(rng),
                "Description": account.get("Name", "Expenses"),
                "Quantity": Decimal("1"),
                "UnitAmount": Decimal(rng.randrange(1500, 150000)) / 100,
                "AccountCode": account.get("Code", "429"),
                "TaxType": account.get("TaxType", "NONE"),
                "Tracking": [],
            }
        )
    return _finish_lines(data, lines, amount_types)


def _finish_lines(data: OrgData, lines: list[Record], amount_types: str) -> list[Record]:
    for line in lines:
        account = data.account_by_code(line["AccountCode"])
        if account is not None:
            line["AccountID"] = account["AccountID"]
        if amount_types == "NoTax":
            line["TaxType"] = "NONE"
    return lines


def _amount_types(rng: random.Random) -> str:
    roll = rng.random()
    return "Exclusive" if roll < 0.85 else ("Inclusive" if roll < 0.95 else "NoTax")


def generate_ledger(
    rng: random.Random,
    data: OrgData,
    *,
    base_currency: str,
    now: datetime,
    days: float,
    invoices: int,
    credit_notes: int,
    bank_transactions: int,
    manual_journals: int,
) -> None:
    clock = _Day(now)
    span = max(1, int(days))
    contacts = list(data.contacts.values())
    customers = contacts[: max(1, int(len(contacts) * 0.7))] if contacts else []
    suppliers = contacts[int(len(contacts) * 0.85) :] if contacts else []
    bank = data.account_by_code("090")
    _invoices(rng, data, clock, span, invoices, customers, suppliers, base_currency, bank)
    _credit_notes(rng, data, clock, span, credit_notes, customers, base_currency)
    _bank_transactions(rng, data, clock, span, bank_transactions, contacts, base_currency)
    _manual_journals(rng, data, clock, span, manual_journals)


def _invoices(
    rng: random.Random,
    data: OrgData,
    clock: _Day,
    span: int,
    count: int,
    customers: list[Record],
    suppliers: list[Record],
    base_currency: str,
    bank: Record | None,
) -> None:
    if not customers:
        return
    offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
    for offset in offsets:
        sale = rng.random() < 0.82 or not suppliers
        contact = _skewed(rng, customers) if sale else rng.choice(suppliers)
        currency = contact.get("DefaultCurrency") or base_currency
        rate = exchange_rate(base_currency, currency)
        amount_types = _amount_types(rng)
        day = clock.of(offset)
        if sale:
            lines = _lines_for_sale(rng, data, amount_types, rate)
            number: str | None = f"INV-{data.next_invoice_number:04d}"
            data.next_invoice_number += 1
            reference = f"{lines[0]['Description']} {day:%b %Y}"
            due = day + timedelta(days=30 if rng.random() < 0.3 else 14)
        else:
            lines = _lines_for_bill(rng, data, amount_types)
            number = f"{rng.choice(_SUPPLIER_WORDS)}-{rng.randrange(1000, 99999)}"
            reference = ""
            due = day + timedelta(days=30)
        status = _invoice_status(rng, offset)
        invoice = invoice_record(
            invoice_id=new_id(rng),
            kind="ACCREC" if sale else "ACCPAY",
            contact=contact,
            number=number,
            reference=reference,
            day=day,
            due_day=due,
            status=status,
            amount_types=amount_types,
            currency=currency,
            currency_rate=rate,
            lines=lines,
            rate_of=data.tax_rate,
            moment=clock.moment(day, rng),
            created_by=None,
        )
        invoice["SentToContact"] = sale and status in ("AUTHORISED", "VOIDED")
        data.invoices[invoice["InvoiceID"]] = invoice
        if sale:
            data.invoice_numbers[invoice["InvoiceNumber"].casefold()] = invoice["InvoiceID"]
            contact["IsCustomer"] = True
        else:
            contact["IsSupplier"] = True
        if status == "AUTHORISED" and bank is not None:
            _pay(rng, data, clock, offset, invoice, bank)


def _invoice_status(rng: random.Random, offset: int) -> str:
    roll = rng.random()
    if roll < 0.03:
        return "VOIDED"
    if roll < 0.045:
        return "DELETED"
    if offset < 21 and roll < 0.3:
        return "DRAFT"
    if offset < 21 and roll < 0.35:
        return "SUBMITTED"
    if roll < 0.06:
        return "DRAFT"
    return "AUTHORISED"


def _pay(
    rng: random.Random,
    data: OrgData,
    clock: _Day,
    offset: int,
    invoice: Record,
    bank: Record,
) -> None:
    full_chance = min(0.95, offset / 75)
    roll = rng.random()
    total = invoice["AmountDue"]
    if total <= ZERO or roll >= full_chance + 0.12:
        return
    if roll < full_chance:
        first = (total * Decimal("0.4")).quantize(Decimal("0.01")) if rng.random() < 0.15 else total
        amounts = [first] if first == total else [first, total - first]
    else:
        amounts = [(total * Decimal(rng.randrange(30, 71)) / 100).quantize(Decimal("0.01"))]
    paid_offset = offset
    for amount in amounts:
        paid_offset = max(0, paid_offset - rng.randrange(3, 45))
        day = clock.of(paid_offset)
        moment = clock.moment(day, rng)
        payment = payment_record(
            payment_id=new_id(rng),
            invoice=invoice,
            account=bank,
            amount=amount,
            day=day,
            reference=invoice.get("InvoiceNumber", "") if invoice["Type"] == "ACCREC" else "",
            moment=moment,
            reconciled=paid_offset > 10,
        )
        data.payments[payment["PaymentID"]] = payment
        settle(invoice, payment, day, max(moment, _updated_moment(invoice)))


def _updated_moment(record: Record) -> datetime:
    return datetime.fromtimestamp(record["_updated"] / 1000, tz=UTC)


def _credit_notes(
    rng: random.Random,
    data: OrgData,
    clock: _Day,
    span: int,
    count: int,
    customers: list[Record],
    base_currency: str,
) -> None:
    if not customers:
        return
    open_sales = [
        invoice
        for invoice in data.invoices.values()
        if invoice["Type"] == "ACCREC" and invoice["Status"] == "AUTHORISED"
    ]
    offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
    for offset in offsets:
        target = rng.choice(open_sales) if open_sales and rng.random() < 0.5 else None
        sale = target is not None or rng.random() < 0.8
        contact_id = (
            target["Contact"]["ContactID"] if target else rng.choice(customers)["ContactID"]
        )
        contact = data.contacts[contact_id]
        currency = target["CurrencyCode"] if target else base_currency
        day = clock.of(offset)
        if target is not None:
            day = max(day, _day_of(target))
            amount = (target["AmountDue"] * Decimal(rng.randrange(10, 101)) / 100).quantize(
                Decimal("0.01")
            )
            amount_types = "Inclusive"
        else:
            amount = Decimal(rng.randrange(2000, 60000)) / 100
            amount_types = "Exclusive"
        account = data.account_by_code("200" if sale else "429") or {}
        lines: list[Record] = [
            {
                "LineItemID": new_id(rng),
                "Description": "Credit for overcharge" if sale else "Supplier refund",
                "Quantity": Decimal("1"),
                "UnitAmount": amount,
                "AccountCode": account.get("Code", "200"),
                "AccountID": account.get("AccountID"),
                "TaxType": account.get("TaxType", "NONE"),
                "Tracking": [],
            }
        ]
        status = "AUTHORISED"
        roll = rng.random()
        if target is None and roll < 0.1:
            status = "DRAFT"
        elif target is None and roll < 0.15:
            status = "VOIDED"
        number = ""
        if sale:
            number = f"CN-{data.next_credit_note_number:04d}"
            data.next_credit_note_number += 1
        note: Record = {
            "CreditNoteID": new_id(rng),
            "CreditNoteNumber": number,
            "Type": "ACCRECCREDIT" if sale else "ACCPAYCREDIT",
            "Reference": target["InvoiceNumber"] if target else "",
            "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
            "Status": status,
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            "CurrencyCode": currency,
            "CurrencyRate": exchange_rate(base_currency, currency),
            "RemainingCredit": ZERO,
            "Allocations": [],
            "Payments": [],
            "HasAttachments": False,
            "HasErrors": False,
            "SentToContact": False,
        }
        set_day(note, "Date", day)
        apply_totals(note, price_lines(lines, amount_types, data.tax_rate))
        moment = clock.moment(day, rng)
        if target is not None and note["Total"] <= target["AmountDue"]:
            credit(target, note, note["Total"], day)
            touch(target, max(moment, _updated_moment(target)))
            if target["Status"] != "AUTHORISED":
                open_sales.remove(target)
        touch(note, moment)
        data.credit_notes[note["CreditNoteID"]] = note


def _day_of(record: Record) -> date:
    return date.fromisoformat(record["DateString"][:10])


def _bank_transactions(
    rng: random.Random,
    data: OrgData,
    clock: _Day,
    span: int,
    count: int,
    contacts: list[Record],
    base_currency: str,
) -> None:
    bank = data.account_by_code("090")
    savings = data.account_by_code("091") or bank
    if bank is None or savings is None:
        return
    offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
    for offset in offsets:
        receive = rng.random() < 0.4
        code = rng.choice(("260", "270")) if receive else rng.choice(_EXPENSE_CODES)
        account = data.account_by_code(code) or {}
        amount_types = "Inclusive" if rng.random() < 0.8 else "NoTax"
        lines: list[Record] = [
            {
                "LineItemID": new_id(rng),
                "Description": account.get("Name", "Bank transaction"),
                "Quantity": Decimal("1"),
                "UnitAmount": Decimal(rng.randrange(500, 250000)) / 100,
                "AccountCode": code,
                "AccountID": account.get("AccountID"),
                "TaxType": "NONE" if amount_types == "NoTax" else account.get("TaxType", "NONE"),
                "Tracking": [],
            }
        ]
        use = savings if rng.random() < 0.05 else bank
        record: Record = {
            "BankTransactionID": new_id(rng),
            "Type": "RECEIVE" if receive else "SPEND",
            "Reference": f"Ref {rng.randrange(10000, 99999)}",
            "IsReconciled": offset > 7 and rng.random() < 0.9,
            "Status": "DELETED" if rng.random() < 0.05 else "AUTHORISED",
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            "CurrencyCode": base_currency,
            "BankAccount": {
                "AccountID": use["AccountID"],
                "Code": use["Code"],
                "Name": use["Name"],
            },
            "HasAttachments": False,
        }
        if contacts and rng.random() < 0.85:
            contact = rng.choice(contacts)
            record["Contact"] = {"ContactID": contact["ContactID"], "Name": contact["Name"]}
        set_day(record, "Date", clock.of(offset))
        apply_totals(record, price_lines(lines, amount_types, data.tax_rate))
        touch(record, clock.moment(clock.of(offset), rng))
        data.bank_transactions[record["BankTransactionID"]] = record


def _manual_journals(rng: random.Random, data: OrgData, clock: _Day, span: int, count: int) -> None:
    offsets = sorted((rng.randrange(span) for _ in range(count)), reverse=True)
    for offset in offsets:
        day = clock.of(offset)
        amount = Decimal(rng.randrange(5000, 500000)) / 100
        debit = data.account_by_code(rng.choice(_EXPENSE_CODES)) or {}
        credit_account = data.account_by_code(rng.choice(("800", "710", "091"))) or {}
        lines = [
            _journal_line(debit, amount, "Debit"),
            _journal_line(credit_account, -amount, "Credit"),
        ]
        roll = rng.random()
        record: Record = {
            "ManualJournalID": new_id(rng),
            "Narration": f"{rng.choice(_JOURNALS)} {day:%b %Y}",
            "Status": "DRAFT" if roll < 0.1 else ("VOIDED" if roll < 0.15 else "POSTED"),
            "LineAmountTypes": "NoTax",
            "JournalLines": lines,
            "ShowOnCashBasisReports": rng.random() < 0.5,
            "HasAttachments": False,
        }
        set_day(record, "Date", day)
        touch(record, clock.moment(day, rng))
        data.manual_journals[record["ManualJournalID"]] = record


def _journal_line(account: Record, amount: Decimal, side: str) -> Record:
    return {
        "LineAmount": amount,
        "AccountCode": account.get("Code", "429"),
        "AccountID": account.get("AccountID"),
        "Description": f"{side}: {account.get('Name', 'Account')}",
        "TaxType": "NONE",
        "TaxAmount": ZERO,
        "IsBlank": False,
    }
