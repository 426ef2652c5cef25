"""The stored shape of invoices, payments and credit allocations, shared by the seeded data
and the API so both produce exactly what Xero would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from uku_xero_cli.sandbox.books.totals import ZERO, Totals, document_totals, line_totals
from uku_xero_cli.sandbox.xero_format import date_string, epoch_ms, ms_date

ONE = Decimal("1")


def touch(record: dict[str, Any], moment: datetime) -> None:
    record["UpdatedDateUTC"] = ms_date(moment)
    record["_updated"] = epoch_ms(moment)


def set_day(record: dict[str, Any], field: str, day: date | None) -> None:
    """Xero's pair of a `/Date()/` field and its `...String` companion."""
    if day is None:
        record.pop(field, None)
        record.pop(f"{field}String", None)
        return
    record[field] = ms_date(day)
    record[f"{field}String"] = date_string(day)


def price_lines(
    lines: list[dict[str, Any]], amount_types: str, rate_of: Callable[[str | None], Decimal]
) -> Totals:
    """Fill each line's LineAmount and TaxAmount and return the document's totals."""
    results = []
    for line in lines:
        result = line_totals(
            line.get("Quantity", ONE),
            line.get("UnitAmount", ZERO),
            line.get("DiscountRate"),
            rate_of(line.get("TaxType")),
            amount_types,
        )
        line["LineAmount"] = result.line_amount
        line["TaxAmount"] = result.tax_amount
        results.append(result)
    return document_totals(results, amount_types)


def apply_totals(record: dict[str, Any], totals: Totals) -> None:
    record["SubTotal"] = totals.sub_total
    record["TotalTax"] = totals.total_tax
    record["Total"] = totals.total
    paid = record.get("AmountPaid", ZERO)
    credited = record.get("AmountCredited", ZERO)
    if "AmountDue" in record or "AmountPaid" in record:
        record["AmountDue"] = totals.total - paid - credited
    if "RemainingCredit" in record:
        record["RemainingCredit"] = totals.total - record.get("_allocated", ZERO)


def invoice_record(
    *,
    invoice_id: str,
    kind: str,
    contact: dict[str, Any],
    number: str | None,
    reference: str | None,
    day: date,
    due_day: date | None,
    status: str,
    amount_types: str,
    currency: str,
    currency_rate: Decimal,
    lines: list[dict[str, Any]],
    rate_of: Callable[[str | None], Decimal],
    moment: datetime,
    created_by: str | None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Type": kind,
        "InvoiceID": invoice_id,
        "InvoiceNumber": number or "",
        "Reference": reference or "",
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountPaid": ZERO,
        "AmountCredited": ZERO,
        "AmountDue": ZERO,
        "CurrencyRate": currency_rate,
        "IsDiscounted": any(line.get("DiscountRate") for line in lines),
        "HasAttachments": False,
        "HasErrors": False,
        "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
        "Status": status,
        "LineAmountTypes": amount_types,
        "LineItems": lines,
        "CurrencyCode": currency,
        "SentToContact": False,
        "_created_by": created_by,
    }
    set_day(record, "Date", day)
    set_day(record, "DueDate", due_day)
    apply_totals(record, price_lines(lines, amount_types, rate_of))
    touch(record, moment)
    return record


def payment_summary(payment: dict[str, Any]) -> dict[str, Any]:
    """How an invoice lists one of its payments."""
    return {
        "PaymentID": payment["PaymentID"],
        "Date": payment["Date"],
        "Amount": payment["Amount"],
        "Reference": payment.get("Reference", ""),
        "CurrencyRate": payment["CurrencyRate"],
        "HasAccount": True,
        "HasValidationErrors": False,
    }


def payment_record(
    *,
    payment_id: str,
    invoice: dict[str, Any],
    account: dict[str, Any],
    amount: Decimal,
    day: date,
    reference: str,
    moment: datetime,
    reconciled: bool = False,
) -> dict[str, Any]:
    rate = invoice.get("CurrencyRate") or ONE
    record: dict[str, Any] = {
        "PaymentID": payment_id,
        "Date": ms_date(day),
        "BankAmount": (amount / rate).quantize(Decimal("0.01")) if rate != ONE else amount,
        "Amount": amount,
        "Reference": reference,
        "CurrencyRate": rate,
        "PaymentType": "ACCPAYPAYMENT" if invoice["Type"] == "ACCPAY" else "ACCRECPAYMENT",
        "Status": "AUTHORISED",
        "IsReconciled": reconciled,
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "_invoice_id": invoice["InvoiceID"],
        "_day": day,
    }
    touch(record, moment)
    return record


def settle(invoice: dict[str, Any], payment: dict[str, Any], day: date, moment: datetime) -> None:
    """Apply a payment to its invoice: amounts, status, FullyPaidOnDate, Payments[]."""
    invoice["Payments"] = [*invoice["Payments"], payment_summary(payment)]
    invoice["AmountPaid"] = invoice["AmountPaid"] + payment["Amount"]
    _recompute_due(invoice, day)
    touch(invoice, moment)


def credit(
    invoice: dict[str, Any], credit_note: dict[str, Any], amount: Decimal, day: date
) -> None:
    """Allocate `amount` of a credit note to an invoice (both records change)."""
    invoice["CreditNotes"] = [
        *invoice["CreditNotes"],
        {
            "CreditNoteID": credit_note["CreditNoteID"],
            "CreditNoteNumber": credit_note.get("CreditNoteNumber", ""),
            "AppliedAmount": amount,
            "Date": ms_date(day),
            "DateString": date_string(day),
            "Total": credit_note["Total"],
            "HasErrors": False,
        },
    ]
    invoice["AmountCredited"] = invoice["AmountCredited"] + amount
    _recompute_due(invoice, day)
    credit_note["_allocated"] = credit_note.get("_allocated", ZERO) + amount
    credit_note["RemainingCredit"] = credit_note["Total"] - credit_note["_allocated"]
    credit_note["Allocations"] = [
        *credit_note.get("Allocations", []),
        {
            "Amount": amount,
            "Date": ms_date(day),
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            },
        },
    ]
    if credit_note["RemainingCredit"] == ZERO:
        credit_note["Status"] = "PAID"
        credit_note["FullyPaidOnDate"] = ms_date(day)


def _recompute_due(invoice: dict[str, Any], day: date) -> None:
    invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
    if invoice["AmountDue"] <= ZERO and invoice["Status"] == "AUTHORISED":
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = ms_date(day)
