"""One push run as its parts see it (`PushRun`: store, client, organisation, options) and
one invoice on its way through it (`Plan`: what the store knew, what Xero has, what to do
with it, and in the end its result)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sync.push.payload import idempotency_key, xero_invoice
from uku_xero_cli.sync.push.report import InvoiceResult

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.models import Invoice, PushRecord
    from uku_xero_cli.sync.push.invoice import UkuInvoice
    from uku_xero_cli.sync.push.new_contacts import ContactChoice
    from uku_xero_cli.xero.client import XeroClient


@dataclass(frozen=True)
class PushOptions:
    draft: bool = False
    create_contacts: bool = True
    dry_run: bool = False


@dataclass(frozen=True)
class PushRun:
    """What every part of one push run works with: the company's store, the Xero client
    (None in a dry run: nothing is sent), the organisation pushed to, and the options."""

    store: Store
    client: XeroClient | None
    company: str
    tenant_id: str
    options: PushOptions

    @property
    def xero(self) -> XeroClient:
        """The client of a run that sends (a dry run never asks for it)."""
        assert self.client is not None, "a dry run sends nothing"
        return self.client

    def idempotency_key(self, what: str, parts: Iterable[str]) -> str:
        """The key of one request of this run (see `payload.idempotency_key`)."""
        return idempotency_key(self.company, self.tenant_id, what, parts)


@dataclass
class Plan:
    """One invoice on its way: what the store knew, what Xero has, what to do."""

    invoice: UkuInvoice
    hash: str
    record: PushRecord | None
    action: str = "create"  # create, update, check, done
    invoice_id: str | None = None
    found: dict[str, Any] | None = None
    contact: ContactChoice | None = None
    result: InvoiceResult | None = None
    # A dry run without a connection could not look it up in Xero: its action is assumed.
    unchecked: bool = False

    def body(self, *, draft: bool) -> dict[str, Any]:
        """The element of `{"Invoices": [...]}` that creates or updates this invoice."""
        return xero_invoice(
            self.invoice,
            contact_id=self.contact.contact_id if self.contact else None,
            draft=draft,
            invoice_id=self.invoice_id if self.action == "update" else None,
        )

    def finish(self, result: str, **details: Any) -> None:
        self.action = "done"
        self.result = InvoiceResult(
            number=self.invoice.number,
            client=self.invoice.client.name,
            currency=self.invoice.currency,
            result=result,
            contact=self.contact.how if self.contact else None,
            **details,
        )

    def finish_with(self, result: str, invoice: Invoice, reasons: list[str] | None = None) -> None:
        self.finish(
            result,
            total=invoice.total,
            xero_number=invoice.invoice_number,
            invoice_id=invoice.invoice_id,
            status=invoice.status,
            reasons=reasons or [],
        )
