"""Crediting an invoice as a person does in Xero's web app: a credit note for the amount,
raised to the invoice's contact and allocated to it at once. The invoice's AmountCredited,
AmountDue and CreditNotes[] change, and once nothing is left to pay, Status PAID and
FullyPaidOnDate; the credit note is PAID with its Allocations[]."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from uku_xero_cli.sandbox.books.documents import ZERO, credit, set_day, touch
from uku_xero_cli.sandbox.books.errors import BooksRefused
from uku_xero_cli.sandbox.books.invoices import find_invoice
from uku_xero_cli.sandbox.books.listing import books
from uku_xero_cli.sandbox.xero_format import money

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import OrgData, Record
    from uku_xero_cli.sandbox.state import Organisation

NOT_AUTHORISED = "Credit notes can only be allocated to Authorised invoices"
TOO_MUCH = "The amount allocated exceeds the amount due on the invoice"


def allocate_credit(
    sandbox: Sandbox, org: Organisation, invoice_id: str, amount: Decimal, day: date
) -> Record:
    """Credit `amount` to an invoice (by InvoiceID or InvoiceNumber); returns the credit note.
    Raises BooksRefused when Xero would refuse."""
    data = books(org)
    with sandbox.state.lock:
        invoice = find_invoice(data, invoice_id)
        if invoice is None:
            raise BooksRefused(f"No invoice {invoice_id}", status=404)
        value = money(Decimal(amount))
        if invoice["Status"] != "AUTHORISED":
            raise BooksRefused(NOT_AUTHORISED)
        if value <= ZERO:
            raise BooksRefused("The amount allocated must be greater than zero")
        if value > invoice["AmountDue"]:
            raise BooksRefused(TOO_MUCH)
        note = _credit_note(data, invoice, value, day)
        credit(invoice, note, value, day)
        moment = sandbox.clock.now()
        touch(invoice, moment)
        touch(note, moment)
        data.credit_notes[note["CreditNoteID"]] = note
        data.changed()
        return note


def _credit_note(data: OrgData, invoice: Record, amount: Decimal, day: date) -> Record:
    sale = invoice["Type"] == "ACCREC"
    number = ""
    if sale:
        number = f"CN-{data.next_credit_note_number:04d}"
        data.next_credit_note_number += 1
    # One untaxed line for the whole amount: the credit's tax treatment is not what
    # check-paid or reload read, and an exact Total is.
    note: Record = {
        "CreditNoteID": str(uuid.uuid4()),
        "CreditNoteNumber": number,
        "Type": "ACCRECCREDIT" if sale else "ACCPAYCREDIT",
        "Reference": invoice.get("InvoiceNumber", ""),
        "Contact": dict(invoice["Contact"]),
        "Status": "AUTHORISED",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "LineItemID": str(uuid.uuid4()),
                "Description": f"Credit against {invoice.get('InvoiceNumber') or 'invoice'}",
                "Quantity": Decimal("1"),
                "UnitAmount": amount,
                "LineAmount": amount,
                "TaxAmount": ZERO,
                "TaxType": "NONE",
                "Tracking": [],
            }
        ],
        "SubTotal": amount,
        "TotalTax": ZERO,
        "Total": amount,
        "CurrencyCode": invoice["CurrencyCode"],
        "CurrencyRate": invoice.get("CurrencyRate", Decimal("1")),
        "RemainingCredit": amount,
        "Allocations": [],
        "Payments": [],
        "HasAttachments": False,
        "HasErrors": False,
        "SentToContact": False,
    }
    set_day(note, "Date", day)
    return note
