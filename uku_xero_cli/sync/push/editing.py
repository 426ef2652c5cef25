"""Whether Xero still lets an invoice's content change, and what to tell the user when not.

Xero lets an invoice be edited while it is DRAFT or SUBMITTED, and while it is AUTHORISED as
long as no payment or credit note is allocated to it; then it answers "This document cannot be
edited as it has a payment or credit note allocated to it" (XeroAPI/Xero-NetStandard#84;
XeroAPI/Xero-Net#339; XeroAPI/xero-mcp-server PR #221). An approved invoice does not go back to
DRAFT, and PAID, VOIDED and DELETED are final (the status moves Xero support listed in
waynerobinson/xeroizer#48).
"""

from __future__ import annotations

from decimal import Decimal

from uku_xero_cli.store.models import Invoice
from uku_xero_cli.sync.push.invoice import money

# Not yet approved: what a draft push may find in Xero and still call its own.
UNAPPROVED = frozenset({"DRAFT", "SUBMITTED"})
_FINAL = frozenset({"VOIDED", "DELETED"})


def _allocated(current: Invoice) -> list[str]:
    currency = f" {current.currency_code}" if current.currency_code else ""
    found = []
    for amount, what in ((current.amount_paid, "paid"), (current.amount_credited, "credited")):
        if amount is not None and amount > Decimal(0):
            found.append(f"{money(amount)}{currency} {what}")
    return found


def edit_refusal(current: Invoice, *, draft: bool) -> str | None:
    """Why Xero would refuse to change `current` to what push-invoice sends (`draft`: a
    DRAFT), in words that say what the user can do; None when Xero allows it."""
    status = (current.status or "").upper()
    name = f"Xero's invoice {current.invoice_number or current.invoice_id}"
    if status in UNAPPROVED:
        return None
    allocated = _allocated(current)
    if allocated and status in ("AUTHORISED", "PAID"):
        return (
            f"{name} already has {' and '.join(allocated)}, and Xero allows no change to an "
            "invoice with a payment or credit note allocated to it. To change it, remove the "
            "payment or credit note in Xero and push again; or credit the invoice in Xero (a "
            "credit note) and issue the change as a new invoice under a new number"
        )
    if status == "AUTHORISED":
        if draft:
            return (
                f"{name} is already AUTHORISED and Xero does not take an approved invoice back "
                "to DRAFT: push it without --draft to update it"
            )
        return None
    if status in _FINAL:
        return f"{name} is {status}, which is final in Xero: issue the invoice under a new number"
    return f"{name} is {status or 'of an unknown status'}, and Xero allows no change to it"
