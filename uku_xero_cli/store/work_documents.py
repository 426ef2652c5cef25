"""Store queries for the documents behind the monthly work statistics.

Reload reads invoices, credit notes, bank transactions and manual journals incrementally, so
a changed document arrives alone. Keeping each document's month, metric and base-currency
total lets its old contribution be replaced instead of counted twice, and the statistics are
then summed from this table for the reload's window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from uku_xero_cli.store.db import StoreBase, money_text, money_value
from uku_xero_cli.store.models import UpsertCounts, WorkStat

_COLUMNS = ("document_id", "kind", "month", "metric", "total")


@dataclass(frozen=True, slots=True)
class WorkDocument:
    """One Xero document as statistics see it; `metric` None: it does not count (voided)."""

    document_id: str
    kind: str
    month: str
    metric: str | None
    total: Decimal | None = None


class WorkDocumentQueries(StoreBase):
    def upsert_work_documents(self, documents: Iterable[WorkDocument]) -> UpsertCounts:
        rows = {
            d.document_id: (d.document_id, d.kind, d.month, d.metric, money_text(d.total))
            for d in documents
        }
        return self._upsert_rows("work_documents", _COLUMNS, rows)

    def remove_work_documents(self, kind: str, *, since_month: str, keep: Collection[str]) -> int:
        """After a whole window was read: forget documents of `kind` it no longer holds."""
        with self.transaction():
            rows = self._conn.execute(
                "SELECT document_id FROM work_documents WHERE kind = ? AND month >= ?",
                (kind, since_month),
            ).fetchall()
            gone = [(row[0],) for row in rows if row[0] not in keep]
            self._conn.executemany("DELETE FROM work_documents WHERE document_id = ?", gone)
        return len(gone)

    def work_document_stats(self, months: Collection[str]) -> list[WorkStat]:
        """Counts and totals per month and metric over the stored documents in `months`."""
        if not months:
            return []
        counts: dict[tuple[str, str], int] = defaultdict(int)
        totals: dict[tuple[str, str], Decimal | None] = {}
        rows = self._conn.execute(
            "SELECT month, metric, total FROM work_documents"
            " WHERE metric IS NOT NULL AND month >= ? AND month <= ?",
            (min(months), max(months)),
        )
        for month, metric, total in rows:
            if month not in months:
                continue
            key = (month, metric)
            counts[key] += 1
            amount = money_value(total)
            if amount is not None:
                totals[key] = (totals.get(key) or Decimal(0)) + amount
            else:
                totals.setdefault(key, None)
        return [
            WorkStat(month=key[0], metric=key[1], count=count, total=totals.get(key))
            for key, count in sorted(counts.items())
        ]
