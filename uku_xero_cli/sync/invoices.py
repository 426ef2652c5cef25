"""push-invoice: Uku invoices into Xero, never twice.

For each valid invoice the store says what happened before:

- never sent, or rejected last time: create it (PUT /Invoices);
- pushed and unchanged (same content hash): nothing to do, no request;
- changed since it was pushed: read it from Xero and update it (POST /Invoices) only while
  Xero still lets its content change (DRAFT, SUBMITTED); otherwise refuse, naming the status;
- sent but never confirmed (the answer was lost: a crash or a timeout): look it up in Xero
  first. If Xero holds what we would send, it is recorded as done; if not, it is sent.

Invoices go in batches of up to 50 with `summarizeErrors=false`, so Xero saves the valid ones
and answers each invalid one with its own messages. Every request carries an Idempotency-Key
derived from the company, the organisation and the batch's invoice numbers and content
hashes: a retried request gets Xero's first answer instead of creating anything again. The
store records each attempt before the request leaves and its outcome after the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import (
    InvoicesRejected,
    ItemFailure,
    LockHeld,
    NetworkError,
    PartialFailure,
    UkuXeroError,
    XeroValidationError,
    error_document,
)
from uku_xero_cli.store.models import Invoice, PushRecord
from uku_xero_cli.sync.invoice_file import UkuInvoice, money
from uku_xero_cli.sync.invoice_payload import (
    EDITABLE_STATUSES,
    content_hash,
    encode_json,
    idempotency_key,
    xero_holds,
    xero_invoice,
)
from uku_xero_cli.sync.push_contacts import ContactChoice, ContactResolver

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.organisation import OrganisationChange
    from uku_xero_cli.tokens import CompanyTokens
    from uku_xero_cli.xero.client import XeroClient

BATCH = 50
# Results that count against the run (exit 6, or 2 when every invoice has one).
FAILED = frozenset({"rejected", "refused", "failed"})
# Sent, but Xero's answer did not say what became of it: not a success either.
UNCONFIRMED = "unconfirmed"
RERUN_HINT = (
    "run push-invoice again: it looks the invoices up in Xero first and never creates a duplicate"
)


class InvoicesUnconfirmed(NetworkError):
    """No invoice of the run is known to have reached Xero; some may have."""

    def __init__(self, message: str, *, failures: list[ItemFailure], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.failures = failures


@dataclass(frozen=True)
class PushOptions:
    draft: bool = False
    create_contacts: bool = True
    dry_run: bool = False


@dataclass
class InvoiceResult:
    """What push-invoice did with one invoice. `result` is one of: created, updated,
    unchanged, recovered (an earlier unconfirmed attempt had worked), would create,
    would update (dry run), rejected (by Xero), refused (a change Xero no longer allows),
    failed (no Xero contact), unconfirmed (no answer: run again), not sent."""

    number: str
    client: str
    currency: str
    result: str
    total: Decimal | None = None
    xero_number: str | None = None
    invoice_id: str | None = None
    status: str | None = None
    contact: str | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.result in FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "client": self.client,
            "currency": self.currency,
            "total": money(self.total),
            "result": self.result,
            "xero_number": self.xero_number,
            "invoice_id": self.invoice_id,
            "status": self.status,
            "contact": self.contact,
            "reasons": list(self.reasons),
        }


@dataclass
class PlannedRequest:
    """A request a dry run would send (the exact body, money as exact numbers)."""

    method: str
    path: str
    body: dict[str, Any]


@dataclass
class PushReport:
    results: list[InvoiceResult]
    dry_run: bool = False
    requests: int = 0
    planned: list[PlannedRequest] = field(default_factory=list)
    # Set when the run stopped early (network, rate limit, re-authorization).
    error: UkuXeroError | None = None
    # Set when the store held another organisation's data, set aside before this run.
    organisation_changed: OrganisationChange | None = None

    def failures(self) -> list[ItemFailure]:
        """Every invoice that did not go through, with its reasons (unconfirmed ones too)."""
        return [
            ItemFailure(r.number, list(r.reasons))
            for r in self.results
            if r.failed or r.result == UNCONFIRMED
        ]

    def outcome_error(self) -> UkuXeroError | None:
        """The error the run ends with: the one that stopped it, else rejections and invoices
        Xero's answer left unconfirmed (exit 6 if any other invoice went through)."""
        if self.error is not None:
            return self.error
        failures = self.failures()
        if not failures:
            return None
        total = len(self.results)
        unconfirmed = sum(1 for r in self.results if r.result == UNCONFIRMED)
        rejected = len(failures) - unconfirmed
        if unconfirmed and len(failures) == total:
            what = "the invoice" if total == 1 else _count(unconfirmed)
            also = (
                f" and {rejected} {'was' if rejected == 1 else 'were'} rejected" if rejected else ""
            )
            return InvoicesUnconfirmed(
                f"Xero did not confirm {what}{also}; run push-invoice again, it will not duplicate",
                failures=failures,
            )
        if len(failures) == total:
            what = "the invoice was" if total == 1 else f"all {total} invoices were"
            return InvoicesRejected(f"{what} rejected; nothing was pushed", failures=failures)
        if not unconfirmed:
            verb = "was" if rejected == 1 else "were"
            return PartialFailure(
                f"{rejected} of {total} invoices {verb} rejected", failures=failures
            )
        verb = "was" if unconfirmed == 1 else "were"
        return PartialFailure(
            f"{unconfirmed} of {total} invoices {verb} not confirmed by Xero"
            + (f" and {rejected} rejected" if rejected else ""),
            failures=failures,
            hint=RERUN_HINT,
        )

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.result] = counts.get(result.result, 0) + 1
        document: dict[str, Any] = {
            "dry_run": self.dry_run,
            "requests": self.requests,
            "counts": counts,
            "invoices": [r.to_json() for r in self.results],
        }
        if self.organisation_changed is not None:
            document["organisation_changed"] = self.organisation_changed.to_json()
        error = self.outcome_error()
        if error is not None:
            document["error"] = error_document(error)
        return document


@dataclass
class _Plan:
    """One invoice on its way: what the store knew, what Xero has, what to do."""

    invoice: UkuInvoice
    hash: str
    record: PushRecord | None
    action: str = "create"  # create, update, check, done
    invoice_id: str | None = None
    found: dict[str, Any] | None = None
    contact: ContactChoice | None = None
    result: InvoiceResult | None = None

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


def _count(n: int) -> str:
    return "1 invoice" if n == 1 else f"{n} invoices"


def fetch_invoices(client: XeroClient, param: str, values: Sequence[str]) -> list[dict[str, Any]]:
    """GET /Invoices filtered by `IDs` or `InvoiceNumbers`, up to 50 a request (the URL
    length caps the list). Whatever Xero answers is returned; callers match by key."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(values), BATCH):
        chunk = values[start : start + BATCH]
        body = client.get("Invoices", params={param: ",".join(chunk)})
        records = body.get("Invoices") if isinstance(body, dict) else None
        found.extend(r for r in records or [] if isinstance(r, dict))
    return found


def _has_errors(element: dict[str, Any]) -> bool:
    return bool(element.get("HasErrors") or element.get("ValidationErrors"))


class PushJob:
    def __init__(
        self,
        store: Store,
        client: XeroClient | None,
        *,
        company: str,
        tenant_id: str,
        options: PushOptions,
    ) -> None:
        self.store = store
        self.client = client
        self.company = company
        self.tenant_id = tenant_id
        self.options = options
        self.report = PushReport([], dry_run=options.dry_run)
        self._sent_before = client.requests_sent if client is not None else 0

    def run(self, invoices: Sequence[UkuInvoice]) -> PushReport:
        plans = [self._classify(invoice) for invoice in invoices]
        try:
            if self.options.dry_run:
                self._plan_dry_run(plans)
            else:
                self._check_in_xero([p for p in plans if p.action == "check"])
                self._resolve_contacts([p for p in plans if p.action in ("create", "update")])
                self._send([p for p in plans if p.action == "create"], "PUT")
                self._send([p for p in plans if p.action == "update"], "POST")
        except UkuXeroError as exc:
            self.report.error = exc
        for plan in plans:
            if plan.result is None:
                plan.finish("not sent", reasons=[f"stopped before sending: {self.report.error}"])
        self.report.results = [p.result for p in plans if p.result is not None]
        if self.client is not None:
            self.report.requests = self.client.requests_sent - self._sent_before
        return self.report

    # -- what the store knows --------------------------------------------------------------

    def _classify(self, invoice: UkuInvoice) -> _Plan:
        digest = content_hash(invoice, draft=self.options.draft)
        record = self.store.push_record(invoice.number)
        plan = _Plan(invoice, digest, record)
        if record is None:
            return plan
        plan.invoice_id = record.invoice_id
        if record.invoice_id is None:
            # A pending attempt may have reached Xero; a rejected one did not.
            plan.action = "check" if record.push_state == "pending" else "create"
        elif record.push_state == "pushed" and record.content_hash == digest:
            stored = self.store.invoice(record.invoice_id)
            plan.finish_with("unchanged", stored or Invoice(record.invoice_id))
        else:
            plan.action = "check"
        return plan

    # -- dry run -----------------------------------------------------------------------------

    def _plan_dry_run(self, plans: list[_Plan]) -> None:
        from uku_xero_cli.sync.invoice_file import ReferenceData

        todo = [p for p in plans if p.action != "done"]
        for plan in todo:
            if plan.action == "check":
                # Whether Xero still allows it is only known by asking, which a dry run won't.
                plan.action = "update" if plan.invoice_id else "create"
        self._resolve_contacts(todo)
        rates = ReferenceData.from_store(self.store).active_tax_rates
        for method in ("PUT", "POST"):
            wanted = "create" if method == "PUT" else "update"
            ready = [
                p for p in todo if p.action == wanted and p.contact is not None and p.contact.ok
            ]
            for start in range(0, len(ready), BATCH):
                chunk = ready[start : start + BATCH]
                bodies = [self._body(p) for p in chunk]
                self.report.planned.append(PlannedRequest(method, "Invoices", {"Invoices": bodies}))
                for plan in chunk:
                    plan.finish(
                        "would create" if method == "PUT" else "would update",
                        total=plan.invoice.estimated_total(rates),
                        invoice_id=plan.invoice_id,
                        reasons=[]
                        if method == "PUT"
                        else ["changed since pushed: updated only if Xero still allows it"],
                    )

    # -- what Xero has ---------------------------------------------------------------------

    def _check_in_xero(self, plans: list[_Plan]) -> None:
        """Read the invoices whose state in Xero decides what to do."""
        if not plans:
            return
        assert self.client is not None
        by_id = [p for p in plans if p.invoice_id]
        by_number = [p for p in plans if not p.invoice_id]
        answers = fetch_invoices(self.client, "IDs", [p.invoice_id or "" for p in by_id])
        found_ids = {str(a.get("InvoiceID") or "").lower(): a for a in answers}
        for plan in by_id:
            plan.found = found_ids.get((plan.invoice_id or "").lower())
        answers = fetch_invoices(
            self.client, "InvoiceNumbers", [p.invoice.number for p in by_number]
        )
        for plan in by_number:
            plan.found = _pick_by_number(answers, plan.invoice.number)
        for plan in plans:
            self._decide(plan)

    def _decide(self, plan: _Plan) -> None:
        found = plan.found
        if found is None:
            if plan.invoice_id is None:
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
        wanted = xero_invoice(plan.invoice, contact_id=None, draft=self.options.draft)
        if xero_holds(wanted, found):
            self._record_found(plan, current)
            return
        if current.status in EDITABLE_STATUSES:
            plan.action = "update"
            return
        plan.finish_with(
            "refused",
            current,
            [
                f"changed since it was pushed, but Xero's invoice {current.invoice_number or ''}"
                f" is {current.status}: Xero allows changes only while an invoice is DRAFT or "
                "SUBMITTED. Void it in Xero and issue a new number, or leave it as it is"
            ],
        )

    def _record_found(self, plan: _Plan, current: Invoice) -> None:
        """Xero already holds this content: an attempt whose answer was lost had worked."""
        key = (plan.record.idempotency_key if plan.record else None) or ""
        with self.store.transaction():
            self.store.record_push_attempt(
                plan.invoice.number, content_hash=plan.hash, idempotency_key=key
            )
            self.store.record_push_result(plan.invoice.number, current)
        unchanged = plan.record is not None and plan.record.push_state == "pushed"
        plan.finish_with("unchanged" if unchanged else "recovered", current)

    # -- contacts ----------------------------------------------------------------------------

    def _resolve_contacts(self, plans: list[_Plan]) -> None:
        if not plans:
            return
        resolver = ContactResolver(
            self.store,
            self.client,
            company=self.company,
            tenant_id=self.tenant_id,
            create=self.options.create_contacts,
            dry_run=self.options.dry_run,
        )
        choices = resolver.resolve([p.invoice.client for p in plans])
        for plan in plans:
            plan.contact = choices.get(plan.invoice.client.id)
            if plan.contact is None or not plan.contact.ok:
                reasons = list(plan.contact.problems) if plan.contact else ["no Xero contact"]
                plan.finish("failed", invoice_id=plan.invoice_id, reasons=reasons)

    # -- sending -----------------------------------------------------------------------------

    def _body(self, plan: _Plan) -> dict[str, Any]:
        return xero_invoice(
            plan.invoice,
            contact_id=plan.contact.contact_id if plan.contact else None,
            draft=self.options.draft,
            invoice_id=plan.invoice_id if plan.action == "update" else None,
        )

    def _send(self, plans: list[_Plan], method: str) -> None:
        plans = [p for p in plans if p.action != "done"]
        for start in range(0, len(plans), BATCH):
            self._send_batch(plans[start : start + BATCH], method)

    def _send_batch(self, plans: list[_Plan], method: str) -> None:
        from uku_xero_cli.xero.parse import loads_xero

        assert self.client is not None
        bodies = [self._body(p) for p in plans]
        key = idempotency_key(
            self.company,
            self.tenant_id,
            f"{method} Invoices",
            [f"{p.invoice.number}\x00{p.hash}" for p in plans],
        )
        with self.store.transaction():
            for plan in plans:
                self.store.record_push_attempt(
                    plan.invoice.number, content_hash=plan.hash, idempotency_key=key
                )
        try:
            response = self.client.request(
                method,
                "Invoices",
                # unitdp=4: Xero keeps unit prices to four decimal places instead of two.
                params={"summarizeErrors": "false", "unitdp": "4"},
                content=encode_json({"Invoices": bodies}).encode("utf-8"),
                headers={"Idempotency-Key": key, "Content-Type": "application/json"},
            )
            answer = loads_xero(response.content) if response.content else {}
            elements = answer.get("Invoices") if isinstance(answer, dict) else None
            whole_refusal = False
        except XeroValidationError as exc:
            # summarizeErrors was not honoured: Xero refused the whole request.
            body = exc.body if isinstance(exc.body, dict) else {}
            elements = body.get("Elements")
            whole_refusal = True
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
        self._record_answer(
            plans, [e for e in elements or [] if isinstance(e, dict)], whole_refusal
        )

    def _record_answer(
        self, plans: list[_Plan], elements: list[dict[str, Any]], whole_refusal: bool
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

    def _restore(self, plan: _Plan) -> None:
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


# -- running it for a company -----------------------------------------------------------------


def push_lock_path(settings: Settings, company: str) -> Path:
    return settings.store_file(company).with_suffix(".push.lock")


@contextmanager
def push_lock(settings: Settings, company: str) -> Iterator[None]:
    """One push per company at a time: two runs would race on the same invoices."""
    from filelock import FileLock, Timeout

    from uku_xero_cli.fsutil import ensure_private_dir

    path = push_lock_path(settings, company)
    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise LockHeld(
            f"another push-invoice for company '{company}' is running",
            hint="wait for it to finish and run this again",
        ) from None
    try:
        yield
    finally:
        lock.release()


def validate(store: Store, invoices: Sequence[UkuInvoice], *, draft: bool) -> None:
    """The checks against the store's reference data; InvalidInvoice lists every problem."""
    from uku_xero_cli.sync.invoice_file import check_references, load_reference

    check_references(invoices, load_reference(store), draft=draft)


def refuse_other_organisation(store: Store, company: str, known: CompanyTokens | None) -> None:
    """A dry run changes nothing, so it cannot set another organisation's data aside: it
    refuses a store that holds data from an organisation other than the company's."""
    from uku_xero_cli.errors import UsageError

    bound = store.bound_organisation()
    if bound is None or known is None or not known.tenant_id or bound[0] == known.tenant_id:
        return
    raise UsageError(
        f"the store of company '{company}' holds data from organisation "
        f"'{bound[1] or bound[0]}', but the company is now connected to "
        f"'{known.tenant_name or known.tenant_id}'",
        hint=f"run `uku-xero reload -c {company}` first: it sets the old organisation's data "
        "aside and imports the new one's",
    )


def push_invoices(
    settings: Settings,
    company: str,
    invoices: Sequence[UkuInvoice],
    options: PushOptions,
    *,
    transport: httpx.BaseTransport | None = None,
    client: XeroClient | None = None,
    store: Store | None = None,
    warn: Callable[[str], None] | None = None,
) -> PushReport:
    """Validate `invoices` against the company's store and push them (or plan, dry run).

    `store` is the company's store already open (it stays open); by default it is opened
    here. Raises InvalidInvoice (nothing sent) or the error that kept the run from starting;
    a failure part-way is in `report.error` with every invoice's result. If the store held
    another organisation's data it is set aside first (`report.organisation_changed`), and
    `warn` is told at once, before validation may refuse the invoices.
    """
    from uku_xero_cli.store import open_company_store
    from uku_xero_cli.tokens import TokenStore
    from uku_xero_cli.xero.client import XeroClient

    tokens = TokenStore(settings)
    # Nothing is sent in a dry run, so a company not (yet) connected can be dry-run too;
    # otherwise the connection is checked before the store is opened (or created).
    record = None if options.dry_run else tokens.load_connected(company)

    def run(db: Store) -> PushReport:
        if record is None:
            known = tokens.load(company)
            refuse_other_organisation(db, company, known)
            validate(db, invoices, draft=options.draft)
            tenant_id = (known.tenant_id if known else None) or ""
            job = PushJob(db, None, company=company, tenant_id=tenant_id, options=options)
            return job.run(invoices)
        assert record.tenant_id is not None
        with push_lock(settings, company):
            # Contacts, links and reference data must all be the connected organisation's.
            change = db.bind_organisation(record.tenant_id, record.tenant_name)
            if change is not None and warn is not None:
                warn(change.message())
            validate(db, invoices, draft=options.draft)
            own = client is None
            api = client or XeroClient(settings, company, store=tokens, transport=transport)
            try:
                job = PushJob(db, api, company=company, tenant_id=record.tenant_id, options=options)
                report = job.run(invoices)
            finally:
                if own:
                    api.close()
            report.organisation_changed = change
            return report

    if store is not None:
        return run(store)
    with open_company_store(settings, company) as opened:
        return run(opened)
