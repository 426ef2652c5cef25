"""An Uku invoice as Xero's JSON: the body push-invoice sends (encoded exactly by
`xero.parse.encode_json`), the content hash and idempotency keys that make a retry safe, and
whether an invoice Xero already holds says what we would send.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from uku_xero_cli.store.models import Invoice
from uku_xero_cli.sync.push.editing import UNAPPROVED
from uku_xero_cli.sync.push.invoice import UkuInvoice, decimal_text

DRAFT = "DRAFT"
AUTHORISED = "AUTHORISED"
# Xero's Idempotency-Key is at most 128 characters.
KEY_PREFIX = "uku-xero-"


def xero_invoice(
    invoice: UkuInvoice,
    *,
    contact_id: str | None,
    draft: bool,
    invoice_id: str | None = None,
) -> dict[str, Any]:
    """The element of `{"Invoices": [...]}` for this invoice (money stays Decimal).

    Without a contact id (a dry run for a client whose contact would be created) the contact
    is named instead.
    """
    body: dict[str, Any] = {"Type": "ACCREC"}
    if invoice_id is not None:
        body["InvoiceID"] = invoice_id
    body["InvoiceNumber"] = invoice.number
    body["Contact"] = (
        {"ContactID": contact_id} if contact_id is not None else {"Name": invoice.client.name}
    )
    body["Date"] = invoice.issue_date.isoformat()
    if invoice.due_date is not None:
        body["DueDate"] = invoice.due_date.isoformat()
    body["Status"] = DRAFT if draft else AUTHORISED
    body["LineAmountTypes"] = invoice.line_amount_types
    body["CurrencyCode"] = invoice.currency
    if invoice.reference is not None:
        body["Reference"] = invoice.reference
    lines = []
    for line in invoice.lines:
        item: dict[str, Any] = {
            "Description": line.description,
            "Quantity": line.quantity,
            "UnitAmount": line.unit_price,
        }
        if line.product_code is not None:
            item["ItemCode"] = line.product_code
        if line.account_code is not None:
            item["AccountCode"] = line.account_code
        if line.tax_type is not None:
            item["TaxType"] = line.tax_type
        if line.discount_percent is not None:
            item["DiscountRate"] = line.discount_percent
        lines.append(item)
    body["LineItems"] = lines
    return body


def content_hash(invoice: UkuInvoice, *, draft: bool) -> str:
    """Changes when anything Xero would store changes (including DRAFT vs AUTHORISED), and
    not when the file only spells an amount differently."""
    content = {"invoice": invoice.canonical(), "status": DRAFT if draft else AUTHORISED}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def idempotency_key(company: str, tenant_id: str, what: str, parts: Iterable[str]) -> str:
    """The same company, organisation, request kind and contents give the same key, so a
    retried request is answered with the first answer instead of acting twice."""
    digest = hashlib.sha256()
    for piece in (company, tenant_id, what, *sorted(parts)):
        digest.update(piece.encode("utf-8"))
        digest.update(b"\x00")
    return KEY_PREFIX + digest.hexdigest()


def _same_number(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None or a == 0) and (b is None or b == 0)
    try:
        return decimal_text(Decimal(str(a))) == decimal_text(Decimal(str(b)))
    except ArithmeticError:
        return False


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _status_fits(sent: str, found: str | None) -> bool:
    if sent == DRAFT:
        return found in UNAPPROVED
    return found in (AUTHORISED, "PAID")


def xero_holds(sent: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """Whether the invoice Xero answered (`found`) holds what `sent` asks for: used when an
    earlier attempt's answer was lost, to tell "already done" from "still to do".

    `found` must come from a read that carries the lines and four-decimal unit prices (a
    paged read with unitdp=4, `endpoints.invoices_by_*(lines=True)`): an unpaged list sends
    the lines empty, and without unitdp=4 the prices rounded. Fields Xero fills in itself (a
    tax type or account left to the item's defaults) are compared only when we sent them.
    """
    invoice = Invoice.from_xero(found)
    contact = sent.get("Contact") or {}
    if contact.get("ContactID") and contact["ContactID"] != invoice.contact_id:
        return False
    if not _status_fits(str(sent.get("Status")), invoice.status):
        return False
    simple = (
        (sent.get("Date"), invoice.date.isoformat() if invoice.date else None),
        (sent.get("DueDate"), invoice.due_date.isoformat() if invoice.due_date else None),
        (sent.get("CurrencyCode"), invoice.currency_code),
        (sent.get("LineAmountTypes"), invoice.line_amount_types),
        (_text(sent.get("Reference")), _text(invoice.reference)),
        (_text(sent.get("InvoiceNumber")).casefold(), _text(invoice.invoice_number).casefold()),
    )
    if any(a != b for a, b in simple):
        return False
    sent_lines = list(sent.get("LineItems") or [])
    found_lines = [line for line in found.get("LineItems") or [] if isinstance(line, Mapping)]
    if len(sent_lines) != len(found_lines):
        return False
    for mine, theirs in zip(sent_lines, found_lines, strict=True):
        if _text(mine.get("Description")) != _text(theirs.get("Description")):
            return False
        for key in ("Quantity", "UnitAmount", "DiscountRate"):
            if not _same_number(mine.get(key), theirs.get(key)):
                return False
        for key in ("ItemCode", "AccountCode", "TaxType"):
            if key in mine and _text(mine[key]).casefold() != _text(theirs.get(key)).casefold():
                return False
    return True
