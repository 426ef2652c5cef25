"""push-invoice: Uku invoices into Xero, never twice.

For each valid invoice the store says what happened before:

- pushed and unchanged (same content hash): nothing to do, no request;
- changed since it was pushed: read it from Xero and update it (POST /Invoices) while Xero
  still lets its content change (DRAFT, SUBMITTED, or AUTHORISED with no payment or credit
  note allocated); otherwise refuse, naming what is allocated or the status, and what to do;
- anything else has no confirmed Xero id (never sent, rejected, sent but the answer was lost,
  or unknown to a store restored from a backup): look it up in Xero by number first (one
  batched request for all of them). If Xero holds what we would send, it is recorded as done;
  if it holds something else, that invoice is updated as above; if nothing, it is created
  (PUT /Invoices). An Idempotency-Key lives minutes at Xero, so this lookup is what makes a
  rerun safe after any delay.

Invoices go in batches of up to 50 with `summarizeErrors=false`, so Xero saves the valid ones
and answers each invalid one with its own messages. Every request carries an Idempotency-Key
derived from the company, the organisation and the batch's invoice numbers and content
hashes: a retried request gets Xero's first answer instead of creating anything again. The
store records each attempt before the request leaves and its outcome after the answer
(`send`); what Xero holds is read first where it decides what to do (`lookup`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING

from uku_xero_cli.errors import UkuXeroError
from uku_xero_cli.store.models import Invoice
from uku_xero_cli.sync.push.contacts import ContactResolver
from uku_xero_cli.sync.push.file import InvoiceInput
from uku_xero_cli.sync.push.lookup import check_in_xero
from uku_xero_cli.sync.push.payload import content_hash
from uku_xero_cli.sync.push.plan import Plan, PushOptions, PushRun
from uku_xero_cli.sync.push.report import PlannedRequest, PushReport
from uku_xero_cli.sync.push.send import InvoiceSender
from uku_xero_cli.sync.push.validate import check_input, validate
from uku_xero_cli.xero.writes import WRITE_BATCH

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.sync.push.invoice import UkuInvoice
    from uku_xero_cli.xero.client import XeroClient


class PushJob:
    """Pushes valid invoices for one company: `PushJob(run).run(invoices)`. In a dry run
    (no client) nothing is sent: the report plans the requests instead."""

    def __init__(self, run: PushRun) -> None:
        self.push = run
        self.store = run.store
        self.options = run.options
        self.report = PushReport([], dry_run=run.options.dry_run)
        self._sent_before = run.client.requests_sent if run.client is not None else 0

    def run(self, invoices: Sequence[UkuInvoice]) -> PushReport:
        plans = [self._classify(invoice) for invoice in invoices]
        try:
            self._push(plans)
        except UkuXeroError as exc:
            self.report.error = exc
        for plan in plans:
            if plan.result is None:
                plan.finish("not sent", reasons=[f"stopped before sending: {self.report.error}"])
        self.report.results = [p.result for p in plans if p.result is not None]
        if self.push.client is not None:
            self.report.requests = self.push.client.requests_sent - self._sent_before
        return self.report

    def _push(self, plans: list[Plan]) -> None:
        """One path for a push and its dry run: the dry run reads what the push would read
        (from Xero too when connected, GETs only), decides the same, and writes nothing."""
        checks = [p for p in plans if p.action == "check"]
        if self.push.client is not None:
            record = not self.options.dry_run
            check_in_xero(
                self.store, self.push.xero, checks, draft=self.options.draft, record=record
            )
        else:
            _assume_unchecked(checks)
        self._resolve_contacts([p for p in plans if p.action in ("create", "update")])
        if self.options.dry_run:
            self._plan_requests(plans)
            return
        sender = InvoiceSender(self.push)
        sender.send([p for p in plans if p.action == "create"], "PUT")
        sender.send([p for p in plans if p.action == "update"], "POST")

    # -- what the store knows --------------------------------------------------------------

    def _classify(self, invoice: UkuInvoice) -> Plan:
        digest = content_hash(invoice, draft=self.options.draft)
        record = self.store.push_record(invoice.number)
        # Whatever has no confirmed Xero id is looked up by number first: Xero may hold it
        # although the store does not know (an answer lost, a store restored from a backup).
        plan = Plan(invoice, digest, record, action="check")
        if record is None:
            return plan
        plan.invoice_id = record.invoice_id
        if (
            record.invoice_id is not None
            and record.push_state == "pushed"
            and record.content_hash == digest
        ):
            stored = self.store.invoice(record.invoice_id)
            plan.finish_with("unchanged", stored or Invoice(record.invoice_id))
        return plan

    # -- dry run -----------------------------------------------------------------------------

    def _plan_requests(self, plans: list[Plan]) -> None:
        """The requests the push would send, batched as it would, and each invoice's result."""
        from uku_xero_cli.sync.push.validate import ReferenceData

        rates = ReferenceData.from_store(self.store).active_tax_rates
        for method in ("PUT", "POST"):
            wanted = "create" if method == "PUT" else "update"
            ready = [p for p in plans if p.action == wanted]
            for start in range(0, len(ready), WRITE_BATCH):
                chunk = ready[start : start + WRITE_BATCH]
                bodies = [p.body(draft=self.options.draft) for p in chunk]
                self.report.planned.append(PlannedRequest(method, "Invoices", {"Invoices": bodies}))
                for plan in chunk:
                    plan.finish(
                        "would create" if method == "PUT" else "would update",
                        total=plan.invoice.estimated_total(rates),
                        invoice_id=plan.invoice_id,
                        reasons=[UNCHECKED] if plan.unchecked and method == "POST" else [],
                    )

    # -- contacts ----------------------------------------------------------------------------

    def _resolve_contacts(self, plans: list[Plan]) -> None:
        if not plans:
            return
        choices = ContactResolver(self.push).resolve([p.invoice.client for p in plans])
        for plan in plans:
            plan.contact = choices.get(plan.invoice.client.id)
            if plan.contact is None or not plan.contact.ok:
                reasons = list(plan.contact.problems) if plan.contact else ["no Xero contact"]
                plan.finish("failed", invoice_id=plan.invoice_id, reasons=reasons)


# What a dry run without a connection cannot know: only Xero says whether it allows a change.
UNCHECKED = (
    "changed since pushed: updated only if Xero still allows it (not checked: the company "
    "is not connected)"
)


def _assume_unchecked(plans: Sequence[Plan]) -> None:
    """A dry run of a company not connected cannot look invoices up in Xero: one pushed
    before would be updated, any other created, if Xero agrees."""
    for plan in plans:
        plan.action = "update" if plan.invoice_id else "create"
        plan.unchecked = True


# -- running it for a company -----------------------------------------------------------------


def push_invoices(
    settings: Settings,
    company: str,
    invoices: InvoiceInput | Sequence[UkuInvoice],
    options: PushOptions,
    *,
    transport: httpx.BaseTransport | None = None,
    client: XeroClient | None = None,
    store: Store | None = None,
    warn: Callable[[str], None] | None = None,
) -> PushReport:
    """Check `invoices` against the company's store and push them (or plan, dry run).

    Every problem of the input (its fields' and the reference data's) is raised together as
    InvalidInvoice before anything is locked, opened for writing or sent (`check_input`).
    `store` is the company's store already open (it stays open); by default it is opened
    here. Raises the error that kept the run from starting; a failure part-way is in
    `report.error` with every invoice's result. If the company worked with another
    organisation before, `report.organisation_changed` says so, and `warn` is told at once,
    before validation may refuse the invoices.
    """
    found = invoices if isinstance(invoices, InvoiceInput) else InvoiceInput.of(invoices)
    if not options.dry_run and not found.problems.items:
        from uku_xero_cli.tokens import TokenStore

        # A file with problems of its own hears of them first (with what the reference data
        # says of it); a valid one, of a company that cannot push, of the connection first.
        TokenStore(settings).load_connected(company)
    valid = check_input(settings, company, found, draft=options.draft, store=store)
    if options.dry_run:
        return _dry_run(
            settings, company, valid, options, store=store, client=client, transport=transport
        )
    from uku_xero_cli.locks import push_lock
    from uku_xero_cli.sync.session import company_session

    # Contacts, links and reference data must all be the connected organisation's: the
    # session binds the store to it and the invoices are checked again under the lock.
    with company_session(
        settings,
        company,
        lock=push_lock(settings, company),
        store=store,
        client=client,
        transport=transport,
        warn=warn,
    ) as session:
        validate(session.store, valid, draft=options.draft)
        run = PushRun(session.store, session.client, company, session.tenant_id, options)
        report = PushJob(run).run(valid)
        report.organisation_changed = session.organisation_changed
        return report


def _dry_run(
    settings: Settings,
    company: str,
    invoices: Sequence[UkuInvoice],
    options: PushOptions,
    *,
    store: Store | None,
    client: XeroClient | None,
    transport: httpx.BaseTransport | None,
) -> PushReport:
    """The push's own decisions, nothing written: no lock, the store of the organisation the
    company works with read as it is (store/opening.py), and Xero only read, when the
    company is connected. A company not connected is dry-run from the store alone."""
    from uku_xero_cli.store.opening import open_existing_store
    from uku_xero_cli.tokens import TokenStore
    from uku_xero_cli.xero.client import XeroClient

    tokens = TokenStore(settings)
    known = tokens.load(company)
    connected = known is not None and known.connected and not known.needs_reauth
    with ExitStack() as stack:
        db = store
        if db is None:
            opened = open_existing_store(settings, company)
            # check_input found reference data in it, so it exists.
            assert opened is not None
            db = stack.enter_context(opened)
        if client is None and connected:
            client = stack.enter_context(
                XeroClient(settings, company, store=tokens, transport=transport)
            )
        tenant_id = (known.tenant_id if known else None) or ""
        return PushJob(PushRun(db, client, company, tenant_id, options)).run(invoices)
