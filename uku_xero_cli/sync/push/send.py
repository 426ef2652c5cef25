"""Sending invoices to Xero, WRITE_BATCH a request, and recording what Xero answered.

Each batch's attempt is recorded in the store before the request leaves, under the batch's
Idempotency-Key (derived from the company, the organisation and the batch's invoice numbers
and content hashes), and its outcome after the answer: a retried or rerun request gets
Xero's first answer instead of creating anything again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import UkuXeroError
from uku_xero_cli.store.models import Invoice
from uku_xero_cli.xero.writes import WRITE_BATCH, save_invoices

if TYPE_CHECKING:
    from uku_xero_cli.sync.push.plan import Plan, PushRun


class InvoiceSender:
    """Sends one push run's invoices: PUT creates, POST updates."""

    def __init__(self, run: PushRun) -> None:
        self.run = run
        self.store = run.store

    def send(self, plans: Sequence[Plan], method: str) -> None:
        todo = [p for p in plans if p.action != "done"]
        for start in range(0, len(todo), WRITE_BATCH):
            self._send_batch(todo[start : start + WRITE_BATCH], method)

    def _send_batch(self, plans: list[Plan], method: str) -> None:
        bodies = [p.body(draft=self.run.options.draft) for p in plans]
        key = self.run.idempotency_key(
            f"{method} Invoices", [f"{p.invoice.number}\x00{p.hash}" for p in plans]
        )
        with self.store.transaction():
            for plan in plans:
                self.store.record_push_attempt(
                    plan.invoice.number, content_hash=plan.hash, idempotency_key=key
                )
        try:
            answer = save_invoices(self.run.xero, method, bodies, idempotency_key=key)
        except UkuXeroError as exc:
            for plan in plans:
                plan.finish(
                    "unconfirmed",
                    invoice_id=plan.invoice_id,
                    reasons=[
                        f"no answer from Xero ({exc}); run push-invoice again: it checks Xero "
                        "first and never creates a duplicate"
                    ],
                )
            raise
        self._record_answer(plans, answer.elements, answer.refused_whole)

    def _record_answer(
        self, plans: list[Plan], elements: list[dict[str, Any]], whole_refusal: bool
    ) -> None:
        from uku_xero_cli.xero.client import validation_messages

        by_number: dict[str, dict[str, Any]] = {}
        for answered in elements:
            number = str(answered.get("InvoiceNumber") or "").strip().casefold()
            by_number.setdefault(number, answered)
        with self.store.transaction():
            for plan in plans:
                element = by_number.get(plan.invoice.number.casefold())
                if element is not None and not _has_errors(element) and not whole_refusal:
                    invoice = Invoice.from_xero(element)
                    self.store.record_push_result(plan.invoice.number, invoice)
                    plan.finish_with("updated" if plan.action == "update" else "created", invoice)
                    continue
                if element is None and not whole_refusal:
                    # Xero's answer left it out: it may or may not exist; the next run checks.
                    plan.finish(
                        "unconfirmed",
                        invoice_id=plan.invoice_id,
                        reasons=["Xero's answer did not mention this invoice; run again"],
                    )
                    continue
                reasons = validation_messages(element) if element is not None else []
                if not reasons:
                    reasons = ["not saved: Xero refused another invoice of the same request"]
                self._restore(plan)
                plan.finish("rejected", invoice_id=plan.invoice_id, reasons=reasons)

    def _restore(self, plan: Plan) -> None:
        """After a rejection: what Xero holds is what the store held before the attempt."""
        record = plan.record
        if record is None or record.invoice_id is None:
            self.store.set_push_state(plan.invoice.number, "rejected")
            return
        self.store.record_push_attempt(
            plan.invoice.number,
            content_hash=record.content_hash or "",
            idempotency_key=record.idempotency_key or "",
        )
        self.store.set_push_state(
            plan.invoice.number, "pushed" if record.push_state == "pushed" else "rejected"
        )


def _has_errors(element: dict[str, Any]) -> bool:
    return bool(element.get("HasErrors") or element.get("ValidationErrors"))
