"""check-paid: what Xero says now about the invoices push-invoice sent.

Without numbers it reads every pushed invoice not yet fully paid, voided or deleted, in as
few requests as it can:

- as many as 2 requests by ID read (about 100): GET /Invoices?IDs=..., as many IDs a
  request as keep the URL within Xero's cap (`endpoints.lookup_batches`);
- more, after a complete check: the invoices this app created, 1,000 a page
  (`createdByMyApp=true`), with If-Modified-Since from that check, so an unchanged invoice
  costs nothing and a paid, voided or deleted one comes back;
- more, the first time: this app's open invoices only (`Statuses=DRAFT,SUBMITTED,AUTHORISED`),
  so its paid history costs nothing; those the sweep did not return (settled since they
  were pushed, or made by another app) are then asked for by ID before any is called missing.

When a page shows that the rest of a sweep would take more requests than asking by ID, the
rest is asked by ID instead.

Answers are matched by InvoiceID; whatever else Xero sends is ignored, and an invoice it does
not return is reported as such and kept. Voided and deleted invoices are reported as voided
and deleted, never as paid, whatever their amounts say.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import UsageError
from uku_xero_cli.store.models import Invoice, Payment, PushRecord
from uku_xero_cli.sync.push.invoice import money
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.clock import ServerClock

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.organisation import OrganisationSwitch
    from uku_xero_cli.xero.client import XeroClient
    from uku_xero_cli.xero.paging import Page

CURSOR = "check_paid"
SWEEP_PAGE_SIZE = 1000
# The statuses in which what is owed can still change (PAID, VOIDED and DELETED are final).
OPEN_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
# Invoices that asking by ID reads in this many requests at most are always asked by ID:
# a sweep would cost as much.
IDS_ONLY_UP_TO_REQUESTS = 2
# A record saved just before Xero's clock read the sweep's start may become visible a little
# later: the next sweep starts this much earlier (fetching a record twice is harmless).
CURSOR_MARGIN = timedelta(minutes=2)
_FIELDS = ("status", "total", "amount_paid", "amount_due", "amount_credited", "fully_paid_on")


@dataclass
class PaidResult:
    """One pushed invoice as Xero has it now. `state` is what a person asks: paid,
    part paid, unpaid, draft, submitted, voided, deleted, missing (Xero did not return it),
    or unconfirmed (its push was never confirmed)."""

    number: str
    state: str
    invoice_id: str | None = None
    xero_number: str | None = None
    status: str | None = None
    currency: str | None = None
    total: Decimal | None = None
    amount_paid: Decimal | None = None
    amount_due: Decimal | None = None
    amount_credited: Decimal | None = None
    fully_paid_on: date | None = None
    payments: list[Payment] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    checked: bool = True  # False: Xero reported no change since the previous check

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state,
            "invoice_id": self.invoice_id,
            "xero_number": self.xero_number,
            "status": self.status,
            "currency": self.currency,
            "total": money(self.total),
            "amount_paid": money(self.amount_paid),
            "amount_due": money(self.amount_due),
            "amount_credited": money(self.amount_credited),
            "fully_paid_on": self.fully_paid_on,
            "payments": [{"date": p.date, "amount": money(p.amount)} for p in self.payments],
            "changed": list(self.changed),
        }


@dataclass
class PaidReport:
    results: list[PaidResult]
    requests: int = 0
    method: str = "none"  # ids, modified-since, open-sweep (+ids)
    # Set when the company worked with another organisation before this check.
    organisation_changed: OrganisationSwitch | None = None

    @property
    def missing(self) -> list[PaidResult]:
        return [r for r in self.results if r.state == "missing"]

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "requests": self.requests,
            "method": self.method,
            "invoices": [r.to_json() for r in self.results],
        }
        if self.organisation_changed is not None:
            document["organisation_changed"] = self.organisation_changed.to_json()
        return document


def state_of(invoice: Invoice) -> str:
    status = (invoice.status or "").upper()
    if status == "VOIDED":
        return "voided"
    if status == "DELETED":
        return "deleted"
    if status == "PAID":
        return "paid"
    if status in ("DRAFT", "SUBMITTED"):
        return status.lower()
    settled = (invoice.amount_paid or 0) + (invoice.amount_credited or 0)
    return "part paid" if settled > 0 else "unpaid"


def _payment_keys(payments: Sequence[Payment] | None) -> set[tuple[str, date | None, Decimal]]:
    return {(p.payment_id, p.date, p.amount) for p in payments or ()}


def changes(before: Invoice | None, after: Invoice) -> list[str]:
    """The fields that differ from the previous check (`payments` for any payment change)."""
    if before is None:
        return ["new"]
    found = [name for name in _FIELDS if getattr(before, name) != getattr(after, name)]
    if after.payments is not None and _payment_keys(before.payments) != _payment_keys(
        after.payments
    ):
        found.append("payments")
    return found


def _result(number: str, invoice: Invoice, changed: list[str], *, checked: bool) -> PaidResult:
    return PaidResult(
        number=number,
        state=state_of(invoice),
        invoice_id=invoice.invoice_id,
        xero_number=invoice.invoice_number,
        status=invoice.status,
        currency=invoice.currency_code,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_due,
        amount_credited=invoice.amount_credited,
        fully_paid_on=invoice.fully_paid_on,
        payments=list(invoice.payments or ()),
        changed=changed,
        checked=checked,
    )


class PaidCheck:
    def __init__(self, store: Store, client: XeroClient) -> None:
        self.store = store
        self.client = client
        self.method = "none"
        # Every read goes through it: the next check's If-Modified-Since is reckoned from
        # Xero's clock at the first answer, never from this machine's, which may differ.
        self.reader = ServerClock(client)

    def run(self, numbers: Sequence[str] | None = None) -> PaidReport:
        sent_before = self.client.requests_sent
        targets, unconfirmed = self._targets(numbers)
        wanted = {t.invoice_id.lower(): t for t in targets if t.invoice_id}
        previous = {key: self.store.invoice(t.invoice_id or "") for key, t in wanted.items()}
        # Should Xero's answers not say its time, the check starts when this machine asks.
        local_start = datetime.now(UTC)
        covered = False
        if not wanted:
            fetched: dict[str, dict[str, Any]] = {}
        elif (
            numbers
            or endpoints.invoice_id_requests(self.reader, list(wanted)) <= IDS_ONLY_UP_TO_REQUESTS
        ):
            fetched = self._by_ids(list(wanted))
            self.method = "ids"
            covered = not numbers
        else:
            fetched = self._sweep(wanted)
            covered = True
        started = self.reader.started or local_start
        since_ok = self.method == "modified-since"
        results: list[PaidResult] = []
        fresh: list[Invoice] = []
        for key, target in wanted.items():
            element = fetched.get(key)
            before = previous.get(key)
            if element is not None:
                invoice = Invoice.from_xero(element)
                fresh.append(invoice)
                results.append(
                    _result(target.uku_number, invoice, changes(before, invoice), checked=True)
                )
            elif since_ok and before is not None:
                results.append(_result(target.uku_number, before, [], checked=False))
            else:
                results.append(self._missing(target, before))
        results.extend(PaidResult(number=n, state="unconfirmed") for n in unconfirmed)
        with self.store.transaction():
            self.store.upsert_invoices(fresh)
            if covered:
                self.store.set_cursor(CURSOR, started - CURSOR_MARGIN)
        order = {n: i for i, n in enumerate(numbers or [])}
        results.sort(key=lambda r: (order.get(r.number, 0), r.number))
        return PaidReport(results, self.client.requests_sent - sent_before, self.method)

    def _targets(self, numbers: Sequence[str] | None) -> tuple[list[PushRecord], list[str]]:
        if not numbers:
            return self.store.open_pushed_invoices(), []
        targets: list[PushRecord] = []
        unconfirmed: list[str] = []
        unknown: list[str] = []
        for number in dict.fromkeys(numbers):
            record = self.store.push_record(number)
            if record is None or (record.push_state == "rejected" and not record.invoice_id):
                unknown.append(number)
            elif record.invoice_id is None:
                unconfirmed.append(number)
            else:
                targets.append(record)
        if unknown:
            raise UsageError(
                "not pushed to Xero by push-invoice: " + ", ".join(unknown),
                hint="check-paid reads back invoices push-invoice sent; push them first",
            )
        return targets, unconfirmed

    def _missing(self, target: PushRecord, before: Invoice | None) -> PaidResult:
        return PaidResult(
            number=target.uku_number,
            state="missing",
            invoice_id=target.invoice_id,
            xero_number=target.invoice_number,
            status=before.status if before else target.status,
            currency=before.currency_code if before else None,
            total=before.total if before else None,
            changed=["missing"],
        )

    # -- reading ---------------------------------------------------------------------------

    def _by_ids(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        wanted = set(ids)
        return {
            key: element
            for element in endpoints.invoices_by_ids(self.reader, ids)
            if (key := _key(element)) in wanted
        }

    def _sweep(self, wanted: Mapping[str, PushRecord]) -> dict[str, dict[str, Any]]:
        since = self.store.cursor(CURSOR)
        if since:
            # Without a status filter: an invoice paid, voided or deleted since the previous
            # check must come back, and only what changed since does.
            pages = endpoints.invoices_by_this_app(
                self.reader, since=since, page_size=SWEEP_PAGE_SIZE
            )
            self.method = "modified-since"
        else:
            # Open ones only, so however many of the app's invoices were paid long ago they
            # cost nothing; one settled since it was pushed is then asked for by ID.
            pages = endpoints.invoices_by_this_app(
                self.reader, statuses=OPEN_STATUSES, page_size=SWEEP_PAGE_SIZE
            )
            self.method = "open-sweep"
        found, cut_short = self._read_sweep(pages, wanted)
        unseen = [key for key in wanted if key not in found]
        if unseen and (cut_short or not since):
            # Cut short: the rest cost less by ID. After an open sweep: no longer open (paid,
            # voided, deleted), or made by another app.
            found.update(self._by_ids(unseen))
            self.method += "+ids"
        return found

    def _read_sweep(
        self, pages: Iterator[Page], wanted: Mapping[str, PushRecord]
    ) -> tuple[dict[str, dict[str, Any]], bool]:
        """The wanted invoices of the sweep's pages, and whether the sweep stopped early
        because asking for the rest by ID costs no more than reading the pages left."""
        found: dict[str, dict[str, Any]] = {}
        for page in pages:
            for element in page.records:
                if (key := _key(element)) in wanted:
                    found[key] = element
            if page.page_count is not None:
                left = page.page_count - page.number
            else:
                # Without Xero's pagination data only a short page proves the end.
                left = sys.maxsize if len(page.records) >= SWEEP_PAGE_SIZE else 0
            if left > 0:
                unseen = [key for key in wanted if key not in found]
                if endpoints.invoice_id_requests(self.reader, unseen) <= left:
                    return found, True
        return found, False


def _key(element: Mapping[str, Any]) -> str:
    return str(element.get("InvoiceID") or "").lower()


def check_paid(
    settings: Settings,
    company: str,
    numbers: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    client: XeroClient | None = None,
    warn: Callable[[str], None] | None = None,
) -> PaidReport:
    """Open the company's store and Xero client and run the check.

    Only the invoices pushed to the organisation the company is connected to are looked for
    (each organisation has its own store); if the company worked with another one before,
    `report.organisation_changed` says so and `warn` is told at once.
    """
    from uku_xero_cli.sync.session import company_session

    with company_session(
        settings, company, client=client, transport=transport, warn=warn
    ) as session:
        report = PaidCheck(session.store, session.client).run(numbers)
        report.organisation_changed = session.organisation_changed
        return report
