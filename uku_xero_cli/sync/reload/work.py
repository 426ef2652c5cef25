"""The dated data sets (invoices, credit notes, bank transactions, manual journals): their
documents in the --months window, and the monthly work statistics computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli.store.models import Invoice
from uku_xero_cli.store.work_documents import WorkDocument
from uku_xero_cli.sync import stats

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.sync.reload.loaders import Load
    from uku_xero_cli.xero.paging import Page

ID_FIELDS = {
    "invoices": "InvoiceID",
    "credit_notes": "CreditNoteID",
    "bank_transactions": "BankTransactionID",
    "manual_journals": "ManualJournalID",
}
# Stored next to a dated data set's cursor: the first day of the window it covers, so a
# reload asking for a longer window than the last one reads the whole window again.
WINDOW_SUFFIX = ":window"


def work_document(kind: str, record: Mapping[str, Any]) -> WorkDocument | None:
    document_id = record.get(ID_FIELDS[kind])
    month = stats.document_month(record)
    if not document_id or month is None:
        return None
    metric = stats.metric_of(kind, record)
    total = stats.base_total(record) if metric in stats.WITH_TOTALS else None
    return WorkDocument(str(document_id), kind, month, metric, total)


def window_start_utc(load: Load) -> datetime:
    return datetime(*load.window_start.timetuple()[:3], tzinfo=UTC)


def dated(load: Load, pages: Iterable[Page]) -> None:
    """Credit notes, bank transactions, manual journals: kept only for the statistics."""
    _documents(load, pages, keep_invoices=False)


def invoices(load: Load, pages: Iterable[Page]) -> None:
    """Invoices are kept whole as well (paid status); their figures count, not the
    statistics rows, which follow from them."""
    _documents(load, pages, keep_invoices=True)


def _documents(load: Load, pages: Iterable[Page], *, keep_invoices: bool) -> None:
    name, store = load.data_set.name, load.store
    seen: set[str] = set()
    for page in pages:
        documents = [d for r in page.records if (d := work_document(name, r)) is not None]
        seen.update(d.document_id for d in documents)
        counts = store.upsert_work_documents(documents)
        if keep_invoices:
            counts = store.upsert_invoices(Invoice.from_xero(r) for r in page.records)
        load.result.add(counts)
    if load.read_whole:
        store.remove_work_documents(name, since_month=load.months[0], keep=seen)
        store.set_cursor(name + WINDOW_SUFFIX, window_start_utc(load))
    store.write_work_stats(load.months, store.work_document_stats(load.months))


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
