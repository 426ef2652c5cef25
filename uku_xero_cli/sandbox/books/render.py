"""Stored records → the JSON Xero sends: private keys dropped, contacts and invoices that
other records point at embedded with their current details."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books.listing import public
from uku_xero_cli.sandbox.books.totals import ZERO
from uku_xero_cli.sandbox.xero_format import date_string, ms_date, parse_day

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.data import OrgData, Record

# What summaryOnly=true leaves out (Xero: "computation-heavy fields").
_CONTACT_HEAVY = ("Addresses", "Phones", "ContactGroups", "ContactPersons", "Balances")
_INVOICE_HEAVY = ("LineItems", "Payments", "CreditNotes", "Prepayments", "Overpayments")


def embedded_contact(data: OrgData, reference: Record | None) -> Record | None:
    if reference is None:
        return None
    contact = data.contacts.get(reference.get("ContactID", ""))
    name = contact["Name"] if contact is not None else reference.get("Name", "")
    return {
        "ContactID": reference["ContactID"],
        "Name": name,
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }


def contact(data: OrgData, record: Record, summary: bool) -> Record:
    body = public(record)
    if summary:
        for name in _CONTACT_HEAVY:
            body.pop(name, None)
    return body


def contact_with_balances(data: OrgData, record: Record, today: date) -> Record:
    """A single contact as GET /Contacts/{id} sends it: with its outstanding balances."""
    body = public(record)
    sums = {"ACCREC": [ZERO, ZERO], "ACCPAY": [ZERO, ZERO]}
    for invoice in data.invoices.values():
        if invoice["Contact"]["ContactID"] != record["ContactID"]:
            continue
        if invoice["Status"] != "AUTHORISED" or invoice["Type"] not in sums:
            continue
        due: Decimal = invoice["AmountDue"]
        sums[invoice["Type"]][0] += due
        if invoice.get("DueDateString", "9999")[:10] < today.isoformat():
            sums[invoice["Type"]][1] += due
    body["Balances"] = {
        "AccountsReceivable": {
            "Outstanding": sums["ACCREC"][0],
            "Overdue": sums["ACCREC"][1],
        },
        "AccountsPayable": {"Outstanding": sums["ACCPAY"][0], "Overdue": sums["ACCPAY"][1]},
    }
    return body


def invoice(data: OrgData, record: Record, summary: bool) -> Record:
    body = public(record)
    body["Contact"] = embedded_contact(data, record["Contact"])
    if summary:
        for name in _INVOICE_HEAVY:
            body.pop(name, None)
    return body


def invoice_reference(data: OrgData, record: Record) -> Record:
    """How a payment shows the invoice it pays."""
    return {
        "Type": record["Type"],
        "InvoiceID": record["InvoiceID"],
        "InvoiceNumber": record.get("InvoiceNumber", ""),
        "Contact": embedded_contact(data, record["Contact"]),
        "CurrencyCode": record["CurrencyCode"],
        "IsDiscounted": record.get("IsDiscounted", False),
        "HasErrors": False,
        "LineItems": [],
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
    }


def payment(data: OrgData, record: Record, summary: bool) -> Record:
    body = public(record)
    paid = data.invoices.get(record["_invoice_id"])
    if paid is not None:
        body["Invoice"] = invoice_reference(data, paid)
    return body


def with_contact(data: OrgData, record: Record, summary: bool) -> Record:
    """Credit notes and bank transactions: their contact embedded with its current name."""
    body = public(record)
    if record.get("Contact") is not None:
        body["Contact"] = embedded_contact(data, record["Contact"])
    return body


def plain(data: OrgData, record: Record, summary: bool) -> Record:
    return public(record)


_ECHOED_DATES = ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate")


def echo(element: Any, *, date_strings: bool = False) -> Record:
    """An element of a request body as Xero echoes it next to its validation errors: as sent,
    except that dates come back in Xero's form (`/Date()/`, with the `...String` companion
    on documents that have one)."""
    if not isinstance(element, dict):
        return {}
    echoed = dict(element)
    for name in _ECHOED_DATES:
        if name not in echoed:
            continue
        day = parse_day(echoed.pop(name))
        if day is not None:
            echoed[name] = ms_date(day)
            if date_strings and name in ("Date", "DueDate"):
                echoed[f"{name}String"] = date_string(day)
    return echoed
