"""The reload job: bring one company's Xero data into its Uku-side store.

Data sets run one after another, each in one store transaction that also moves its cursor,
so a reload stopped anywhere (Ctrl-C, a network failure, Xero's daily limit, a kill) leaves
every data set either as it was or wholly updated, and the next run picks up from the last
committed cursor. A data set's pages are downloaded to a private staging file first, so the
store's write lock is held only for the short write at the end, never while Xero is being
read. Incremental by default: a data set with a cursor asks Xero only for what
changed since (If-Modified-Since), so an unchanged organisation costs one request per data
set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from uku_xero_cli.errors import LockHeld, UkuXeroError, UsageError, error_document
from uku_xero_cli.redact import redact
from uku_xero_cli.store.models import (
    Currency,
    Invoice,
    Item,
    TaxRate,
    UpsertCounts,
    XeroContact,
)
from uku_xero_cli.store.work_documents import WorkDocument
from uku_xero_cli.sync import stats
from uku_xero_cli.sync.staging import PageStaging
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.paging import DEFAULT_PAGE_SIZE, Page
from uku_xero_cli.xero.parse import parse_optional_datetime, server_time

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.models import RunOutcome
    from uku_xero_cli.store.organisation import OrganisationChange
    from uku_xero_cli.sync.matching import MatchResult

CONTACTS = "contacts"
ITEMS = "items"
TAX_RATES = "tax_rates"
CURRENCIES = "currencies"
INVOICES = "invoices"
CREDIT_NOTES = "credit_notes"
BANK_TRANSACTIONS = "bank_transactions"
MANUAL_JOURNALS = "manual_journals"
DATA_SETS: tuple[str, ...] = (
    CONTACTS,
    ITEMS,
    TAX_RATES,
    CURRENCIES,
    INVOICES,
    CREDIT_NOTES,
    BANK_TRANSACTIONS,
    MANUAL_JOURNALS,
)
DATED = (INVOICES, CREDIT_NOTES, BANK_TRANSACTIONS, MANUAL_JOURNALS)
ID_FIELDS = {
    INVOICES: "InvoiceID",
    CREDIT_NOTES: "CreditNoteID",
    BANK_TRANSACTIONS: "BankTransactionID",
    MANUAL_JOURNALS: "ManualJournalID",
}
DEFAULT_MONTHS = 12
# Stored next to a dated data set's cursor: the first day of the window it covers, so a
# reload asking for a longer window than the last one reads the whole window again.
_WINDOW_SUFFIX = ":window"


class ReloadClient(endpoints.XeroReader, Protocol):
    """What reload needs of `XeroClient`: GETs and a count of requests put on the wire."""

    @property
    def requests_sent(self) -> int: ...


class Progress(Protocol):
    """Where a reload reports as it goes (a Rich progress display on a TTY)."""

    def started(self, data_set: str) -> None: ...

    def page(self, data_set: str, page: Page, fetched: int) -> None: ...

    def finished(self, result: DataSetResult) -> None: ...


class NoProgress:
    def started(self, data_set: str) -> None:
        pass

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        pass

    def finished(self, result: DataSetResult) -> None:
        pass


def parse_only(text: str | None) -> tuple[str, ...] | None:
    """`--only contacts,items` → the data sets in reload order; unknown names are refused."""
    if text is None:
        return None
    aliases = {"clients": CONTACTS, "products": ITEMS, "taxrates": TAX_RATES}
    names = []
    for raw in text.split(","):
        name = raw.strip().lower().replace("-", "_")
        if not name:
            continue
        name = aliases.get(name.replace("_", ""), aliases.get(name, name))
        if name not in DATA_SETS:
            raise UsageError(
                f"--only: unknown data set {raw.strip()!r}; choose from {', '.join(DATA_SETS)}"
            )
        names.append(name)
    if not names:
        raise UsageError(f"--only: name at least one of {', '.join(DATA_SETS)}")
    return tuple(d for d in DATA_SETS if d in names)


@dataclass(frozen=True)
class ReloadOptions:
    full: bool = False
    only: tuple[str, ...] | None = None
    months: int = DEFAULT_MONTHS
    page_size: int = DEFAULT_PAGE_SIZE
    today: date | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 240:
            raise UsageError(f"--months {self.months}: choose 1-240")
        if not 1 <= self.page_size <= 1000:
            raise UsageError(f"--page-size {self.page_size}: choose 1-1000")

    @property
    def data_sets(self) -> tuple[str, ...]:
        return self.only or DATA_SETS

    def window_months(self) -> list[str]:
        return stats.window_months(self.today or datetime.now(UTC).date(), self.months)


@dataclass
class DataSetResult:
    """What reloading one data set did: the figures of the summary table."""

    name: str
    incremental: bool = False
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_archived: int = 0
    requests: int = 0
    pages: int = 0
    seconds: float = 0.0
    outcome: str = "ok"
    error: str | None = None

    def add(self, counts: UpsertCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def to_json(self) -> dict[str, Any]:
        return {
            "data_set": self.name,
            "mode": "incremental" if self.incremental else "full",
            "fetched": self.fetched,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_archived": self.skipped_archived,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "outcome": self.outcome,
            "error": self.error,
        }


@dataclass
class ReloadResult:
    """One company's reload: every data set attempted, matching, and how it ended."""

    company: str
    data_sets: list[DataSetResult] = field(default_factory=list)
    matching: MatchResult | None = None
    months: list[str] = field(default_factory=list)
    error: BaseException | None = None
    seconds: float = 0.0
    # Set when the store held another organisation's data, set aside before this reload.
    organisation_changed: OrganisationChange | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def requests(self) -> int:
        return sum(d.requests for d in self.data_sets)

    def outcome_error(self) -> BaseException | None:
        return self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "ok": self.ok,
            "error": None if self.error is None else error_document(self.error),
            "months": {"from": self.months[0], "to": self.months[-1]} if self.months else None,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "data_sets": [d.to_json() for d in self.data_sets],
            "matching": self.matching.to_json() if self.matching else None,
            "organisation_changed": (
                self.organisation_changed.to_json() if self.organisation_changed else None
            ),
        }


def _newest(current: datetime | None, record: Mapping[str, Any]) -> datetime | None:
    seen = parse_optional_datetime(record.get("UpdatedDateUTC"), what="UpdatedDateUTC")
    if seen is None:
        return current
    return seen if current is None or seen > current else current


# Records stamped a moment before Xero's envelope time may still be committing when a page is
# read; the cursor stays this far behind the data set's first answer so they are read next time.
SERVER_TIME_MARGIN = timedelta(seconds=1)


class _ServerClock:
    """The client as one data set sees it: it notes Xero's clock at the data set's first answer.

    A record edited while later pages are read can carry an UpdatedDateUTC newer than an edit
    to a record on a page already read; a cursor at the newest stamp seen would skip that
    earlier edit for good. Nothing changed after the first answer can be older than it.
    """

    def __init__(self, client: ReloadClient) -> None:
        self._client = client
        self._answered = False
        self.started: datetime | None = None

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        body = self._client.get(path, params, **kwargs)
        if not self._answered:
            self._answered = True
            self.started = server_time(body)
        return body


def work_document(kind: str, record: Mapping[str, Any]) -> WorkDocument | None:
    document_id = record.get(ID_FIELDS[kind])
    month = stats.document_month(record)
    if not document_id or month is None:
        return None
    metric = stats.metric_of(kind, record)
    total = stats.base_total(record) if metric in stats.WITH_TOTALS else None
    return WorkDocument(str(document_id), kind, month, metric, total)


class _Run:
    """One data set being reloaded: pages in, counts and newest timestamp out."""

    def __init__(
        self, job: ReloadJob, name: str, incremental: bool, on_page: Callable[[Page], None]
    ) -> None:
        self.job = job
        self.result = DataSetResult(name, incremental=incremental)
        self.newest: datetime | None = None
        self.client = _ServerClock(job.client)
        self._on_page = on_page

    @property
    def cursor(self) -> datetime | None:
        """Where the next incremental read starts: the newest stamp seen, but never past the
        server's time at this data set's first request (less a margin)."""
        started = self.client.started
        if self.newest is None or started is None:
            return self.newest
        return min(self.newest, started - SERVER_TIME_MARGIN)

    def pages(self, source: Iterable[Page]) -> Iterator[Page]:
        for page in source:
            self.result.pages += 1
            self.result.fetched += len(page.records)
            for record in page.records:
                self.newest = _newest(self.newest, record)
            self._on_page(page)
            yield page
            del page


class ReloadJob:
    """Reloads one company: `ReloadJob(client, store, options).run()` → ReloadResult.

    The caller holds the company's reload lock (`reload_lock`) for the whole run. With
    `tenant_id` (the organisation the client reads), the store is bound to it first: another
    organisation's data is set aside, so this reload is a full one.
    """

    def __init__(
        self,
        client: ReloadClient,
        store: Store,
        options: ReloadOptions | None = None,
        *,
        company: str = "",
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
        tenant_id: str | None = None,
        tenant_name: str | None = None,
    ) -> None:
        self.client = client
        self.tenant_id = tenant_id
        self.tenant_name = tenant_name
        self.store = store
        self.options = options or ReloadOptions()
        self.company = company
        self.progress = progress or NoProgress()
        self._clock = clock
        self.months = self.options.window_months()
        self.window_start = date(int(self.months[0][:4]), int(self.months[0][5:]), 1)

    def run(self) -> ReloadResult:
        """Every data set asked for, stopping at the first failure (recorded, not raised)."""
        started = self._clock()
        result = ReloadResult(self.company, months=self.months)
        try:
            if self.tenant_id:
                result.organisation_changed = self.store.bind_organisation(
                    self.tenant_id, self.tenant_name
                )
            self.store.mark_abandoned_runs()
            for name in self.options.data_sets:
                result.data_sets.append(self._data_set(name, result))
        except (UkuXeroError, OSError, ValueError) as exc:
            result.error = exc
        finally:
            result.seconds = self._clock() - started
        return result

    # -- one data set -----------------------------------------------------------------------

    def _since(self, name: str) -> datetime | None:
        if self.options.full:
            return None
        since = self.store.cursor(name)
        if since is not None and name in DATED:
            covered = self.store.cursor(name + _WINDOW_SUFFIX)
            wanted = datetime(*self.window_start.timetuple()[:3], tzinfo=UTC)
            if covered is None or covered > wanted:
                return None
        return since

    def _data_set(self, name: str, outcome: ReloadResult) -> DataSetResult:
        since = self._since(name) if name not in (TAX_RATES, CURRENCIES) else None
        run_id = self.store.start_sync_run(name)
        self.progress.started(name)
        run = _Run(self, name, since is not None, lambda page: self._page(name, page, run))
        before = self.client.requests_sent
        started = self._clock()
        status = "failed"
        try:
            # Download first, apply after: the store's write lock is held only while the
            # pages already on disk are written, never while Xero is being read.
            with PageStaging() as staging:
                for page in run.pages(self._source(name, since, run)):
                    staging.add(page)
                    del page
                with self.store.transaction():
                    self._load(name, since, run, outcome, staging.pages())
            status = "ok"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except BaseException as exc:
            run.result.error = redact(str(exc)) or type(exc).__name__
            raise
        finally:
            result = run.result
            result.outcome = status
            result.requests = self.client.requests_sent - before
            result.seconds = self._clock() - started
            self.store.finish_sync_run(
                run_id,
                outcome=cast("RunOutcome", status),
                counts=UpsertCounts(result.new, result.updated, result.unchanged),
                fetched=result.fetched,
                skipped_archived=result.skipped_archived,
                requests=result.requests,
                error=result.error,
            )
            if status != "ok":
                outcome.data_sets.append(result)
            self.progress.finished(result)
        return result

    def _page(self, name: str, page: Page, run: _Run) -> None:
        self.progress.page(name, page, run.result.fetched)

    def _source(self, name: str, since: datetime | None, run: _Run) -> Iterator[Page]:
        client = run.client
        size = self.options.page_size
        if name == CONTACTS:
            return endpoints.contacts(client, since=since, page_size=size)
        if name == ITEMS:
            return endpoints.items(client, since=since)
        if name == TAX_RATES:
            return endpoints.tax_rates(client)
        if name == CURRENCIES:
            return endpoints.currencies(client)
        fetchers = {
            INVOICES: endpoints.invoices,
            CREDIT_NOTES: endpoints.credit_notes,
            BANK_TRANSACTIONS: endpoints.bank_transactions,
            MANUAL_JOURNALS: endpoints.manual_journals,
        }
        window = endpoints.Window(self.window_start)
        return fetchers[name](client, window, since=since, page_size=size)

    def _load(
        self,
        name: str,
        since: datetime | None,
        run: _Run,
        outcome: ReloadResult,
        pages: Iterable[Page],
    ) -> None:
        if name == CONTACTS:
            outcome.matching = self._contacts(pages, run)
        elif name == ITEMS:
            items = [Item.from_xero(r) for p in pages for r in p.records]
            run.result.add(self.store.upsert_items(items, replace=since is None))
        elif name == TAX_RATES:
            rates = [TaxRate.from_xero(r) for p in pages for r in p.records]
            run.result.add(self.store.replace_tax_rates(rates))
        elif name == CURRENCIES:
            codes = [Currency.from_xero(r) for p in pages for r in p.records]
            run.result.add(self.store.replace_currencies(codes))
        else:
            self._dated(name, since, run, pages)
        if run.cursor is not None and name not in (TAX_RATES, CURRENCIES):
            self.store.set_cursor(name, run.cursor)

    def _contacts(self, pages: Iterable[Page], run: _Run) -> MatchResult:
        from uku_xero_cli.sync.match_store import match_in_store

        store = self.store
        for page in pages:
            contacts = [XeroContact.from_xero(r) for r in page.records]
            archived = [c.contact_id for c in contacts if c.archived]
            known = store.known_contact_ids(archived) if archived else set()
            # An archived contact never seen before is not imported; one already imported
            # is kept (with its client and history) and marked archived.
            keep = [c for c in contacts if not c.archived or c.contact_id in known]
            run.result.skipped_archived += len(contacts) - len(keep)
            run.result.add(store.upsert_contacts(keep))
            if known:
                store.mark_archived(known)
            active = [c.contact_id for c in keep if not c.archived]
            if active:
                store.mark_archived(active, archived=False)
        # Only what changed since the last match (and what it left ambiguous) is matched;
        # --full looks at every contact again.
        return match_in_store(store, everything=self.options.full)

    def _dated(self, name: str, since: datetime | None, run: _Run, pages: Iterable[Page]) -> None:
        seen: set[str] = set()
        for page in pages:
            documents = [d for r in page.records if (d := work_document(name, r)) is not None]
            seen.update(d.document_id for d in documents)
            counts = self.store.upsert_work_documents(documents)
            if name == INVOICES:
                # Invoices are kept whole (paid status); their figures count, not the
                # statistics rows, which follow from them.
                counts = self.store.upsert_invoices(Invoice.from_xero(r) for r in page.records)
            run.result.add(counts)
        if since is None:
            self.store.remove_work_documents(name, since_month=self.months[0], keep=seen)
            start = datetime(*self.window_start.timetuple()[:3], tzinfo=UTC)
            self.store.set_cursor(name + _WINDOW_SUFFIX, start)
        self.store.write_work_stats(self.months, self.store.work_document_stats(self.months))


def load_stats(store: Store, months: Sequence[str]) -> stats.WorkStats:
    """The stored statistics for `months` as a model (zeros where nothing was recorded)."""
    by_month = {m: stats.MonthStats(m) for m in months}
    for row in store.work_stats(since_month=months[0]) if months else []:
        month = by_month.get(row.month)
        if month is None or row.metric not in stats.METRICS:
            continue
        month.counts[row.metric] = row.count
        if row.metric in stats.WITH_TOTALS and row.total is not None:
            month.totals[row.metric] = row.total.quantize(stats.CENT)
    return stats.WorkStats([by_month[m] for m in months])


# -- the per-company lock ---------------------------------------------------------------------


def lock_path(settings: Settings, company: str) -> Path:
    return settings.store_file(company).with_suffix(".reload.lock")


@contextmanager
def reload_lock(settings: Settings, company: str, *, wait: bool = False) -> Iterator[None]:
    """Hold the company's reload lock: a second reload fails at once, or queues with `wait`."""
    from filelock import FileLock, Timeout

    from uku_xero_cli.fsutil import ensure_private_dir

    path = lock_path(settings, company)
    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise LockHeld(
            f"a reload of company '{company}' is already running",
            hint="wait for it to finish, or pass --wait to queue behind it",
        ) from None
    try:
        yield
    finally:
        lock.release()
