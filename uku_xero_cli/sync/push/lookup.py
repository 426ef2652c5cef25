"""Looking up in Xero the invoices whose state there decides what push-invoice does: every
invoice the store has no confirmed Xero id for (never sent, rejected, sent but never
confirmed, or a store restored from a backup or new on this machine) by its number, and every
invoice pushed before and changed since by its id. Xero keeps an Idempotency-Key for minutes
only, so this lookup, not the key, is what keeps a rerun from creating a duplicate.

Both reads carry the lines and four-decimal prices, so what Xero holds is compared with what
would be sent in full: the same is recorded as done, a difference is updated while Xero still
allows it (`editing`), and an invoice Xero does not hold is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from uku_xero_cli.store.models import Invoice
from uku_xero_cli.sync.push.editing import edit_refusal
from uku_xero_cli.sync.push.payload import xero_holds, xero_invoice
from uku_xero_cli.xero import endpoints

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.sync.push.plan import Plan
    from uku_xero_cli.xero.endpoints import XeroReader


def check_in_xero(
    store: Store, client: XeroReader, plans: Sequence[Plan], *, draft: bool, record: bool = True
) -> None:
    """Read the invoices of `plans` (by ID when one is known, else by number; batched, one
    request a batch) and decide each plan: create, update, or finished (unchanged,
    recovered, refused). Without `record` (a dry run) what Xero turns out to hold is not
    written to the store."""
    if not plans:
        return
    by_id = [p for p in plans if p.invoice_id]
    by_number = [p for p in plans if not p.invoice_id]
    answers = endpoints.invoices_by_ids(client, [p.invoice_id or "" for p in by_id], lines=True)
    found_ids = {str(a.get("InvoiceID") or "").lower(): a for a in answers}
    for plan in by_id:
        plan.found = found_ids.get((plan.invoice_id or "").lower())
    answers = endpoints.invoices_by_numbers(
        client, [p.invoice.number for p in by_number], lines=True
    )
    for plan in by_number:
        plan.found = _pick_by_number(answers, plan.invoice.number)
    for plan in plans:
        _decide(store, plan, draft=draft, record=record)


def _decide(store: Store, plan: Plan, *, draft: bool, record: bool) -> None:
    found = plan.found
    confirmed = plan.invoice_id is not None
    if found is None:
        if not confirmed:
            plan.action = "create"
        else:
            plan.finish(
                "refused",
                invoice_id=plan.invoice_id,
                reasons=[
                    f"Xero no longer returns the invoice {plan.invoice.number} was pushed "
                    f"as ({plan.invoice_id}); it cannot be updated"
                ],
            )
        return
    current = Invoice.from_xero(found)
    plan.invoice_id = current.invoice_id
    wanted = xero_invoice(plan.invoice, contact_id=None, draft=draft)
    if xero_holds(wanted, found):
        _record_found(store, plan, current, record=record)
        return
    refusal = edit_refusal(current, draft=draft)
    if refusal is None:
        plan.action = "update"
        return
    lead = (
        "changed since it was pushed"
        if confirmed
        else f"Xero already holds an invoice numbered {plan.invoice.number} that differs "
        "from this one"
    )
    plan.finish_with("refused", current, [f"{lead}, but {refusal}"])


def _record_found(store: Store, plan: Plan, current: Invoice, *, record: bool) -> None:
    """Xero already holds this content: an attempt whose answer was lost had worked, or the
    store did not know of an invoice Xero has."""
    key = (plan.record.idempotency_key if plan.record else None) or ""
    if record:
        with store.transaction():
            store.record_push_attempt(
                plan.invoice.number, content_hash=plan.hash, idempotency_key=key
            )
            store.record_push_result(plan.invoice.number, current)
    unchanged = plan.record is not None and plan.record.push_state == "pushed"
    plan.finish_with("unchanged" if unchanged else "recovered", current)


def _pick_by_number(answers: list[dict[str, Any]], number: str) -> dict[str, Any] | None:
    """The sales invoice with this number, a live one before a deleted or voided one."""
    matches = [
        a
        for a in answers
        if str(a.get("InvoiceNumber") or "").strip().casefold() == number.casefold()
        and a.get("Type", "ACCREC") == "ACCREC"
    ]
    matches.sort(key=lambda a: a.get("Status") in ("DELETED", "VOIDED"))
    return matches[0] if matches else None
