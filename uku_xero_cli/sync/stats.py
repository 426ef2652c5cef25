"""Monthly work statistics: how many documents of each kind an organisation had each month.

These drive Uku's monthly summary tasks. A document counts in the calendar month of its
`Date`; deleted and voided documents are not work done and do not count. Totals are in the
organisation's base currency (a foreign-currency document's Total divided by its
CurrencyRate); manual journals have no total worth adding up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.xero.parse import XeroValueError, parse_date, parse_optional_money

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings

SALES_INVOICES = "sales_invoices"
BILLS = "bills"
CREDIT_NOTES = "credit_notes"
BANK_TRANSACTIONS = "bank_transactions"
MANUAL_JOURNALS = "manual_journals"
METRICS: tuple[str, ...] = (
    SALES_INVOICES,
    BILLS,
    CREDIT_NOTES,
    BANK_TRANSACTIONS,
    MANUAL_JOURNALS,
)
LABELS = {
    SALES_INVOICES: "Sales invoices",
    BILLS: "Bills",
    CREDIT_NOTES: "Credit notes",
    BANK_TRANSACTIONS: "Bank transactions",
    MANUAL_JOURNALS: "Manual journals",
}
WITH_TOTALS = frozenset({SALES_INVOICES, BILLS, CREDIT_NOTES, BANK_TRANSACTIONS})
NOT_WORK = frozenset({"DELETED", "VOIDED"})
CENT = Decimal("0.01")


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window_months(today: date, months: int) -> list[str]:
    """The `months` calendar months ending with today's, oldest first."""
    if months < 1:
        raise ValueError("months must be at least 1")
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def window_start(today: date, months: int) -> date:
    first = window_months(today, months)[0]
    return date(int(first[:4]), int(first[5:]), 1)


@dataclass
class MonthStats:
    month: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))
    totals: dict[str, Decimal] = field(
        default_factory=lambda: {m: Decimal("0.00") for m in WITH_TOTALS}
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "metrics": {
                metric: {
                    "count": self.counts[metric],
                    "total": str(self.totals[metric]) if metric in WITH_TOTALS else None,
                }
                for metric in METRICS
            },
        }


@dataclass
class WorkStats:
    months: list[MonthStats]

    def to_json(self) -> dict[str, Any]:
        return {"months": [m.to_json() for m in self.months], "metrics": list(METRICS)}


@dataclass
class CompanyStats:
    """A company's statistics as of its last successful reload (None: never reloaded)."""

    company: str
    as_of: datetime | None
    work: WorkStats

    def to_json(self) -> dict[str, Any]:
        return {"company": self.company, "as_of": self.as_of, **self.work.to_json()}


def company_stats(
    settings: Settings, company: str, months: int, *, today: date | None = None
) -> CompanyStats:
    """The last `months` calendar months of the company's statistics, from its store (zeros
    where nothing was recorded; none at all before the first reload). Creates no store."""
    from uku_xero_cli.store.opening import open_existing_store
    from uku_xero_cli.sync.datasets import DATED
    from uku_xero_cli.sync.reload import load_stats

    window = window_months(today or datetime.now(UTC).date(), months)
    found = open_existing_store(settings, company)
    if found is None:
        return CompanyStats(company, None, WorkStats([MonthStats(m) for m in window]))
    with found as store:
        work = load_stats(store, window)
        last = store.last_runs(outcome="ok")
    reloaded = [last[name].finished_at for name in last if name in DATED]
    return CompanyStats(company, max((w for w in reloaded if w is not None), default=None), work)


def metric_of(kind: str, record: Mapping[str, Any]) -> str | None:
    """Which metric a Xero document counts towards, or None when it is not work done."""
    if str(record.get("Status") or "").upper() in NOT_WORK:
        return None
    if kind == "invoices":
        kinds = {"ACCREC": SALES_INVOICES, "ACCPAY": BILLS}
        return kinds.get(str(record.get("Type") or "").upper())
    if kind in (CREDIT_NOTES, BANK_TRANSACTIONS, MANUAL_JOURNALS):
        return kind
    raise ValueError(f"no statistics for {kind}")


def base_total(record: Mapping[str, Any]) -> Decimal | None:
    total = parse_optional_money(record.get("Total"), what="Total")
    if total is None:
        return None
    try:
        rate = parse_optional_money(record.get("CurrencyRate"), what="CurrencyRate")
    except XeroValueError:
        rate = None
    if rate is not None and rate != 0:
        total = total / rate
    return total.quantize(CENT)


def document_month(record: Mapping[str, Any]) -> str | None:
    raw = record.get("Date") or record.get("DateString")
    if not raw:
        return None
    return month_key(parse_date(raw, what="Date"))
