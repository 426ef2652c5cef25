"""Monthly work statistics: which documents count, in which month, for how much."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from uku_xero_cli.sync.stats import tally, window_months, window_start


def test_the_window_is_the_last_n_calendar_months_including_this_one() -> None:
    assert window_months(date(2026, 2, 17), 3) == ["2025-12", "2026-01", "2026-02"]
    assert window_start(date(2026, 2, 17), 12) == date(2025, 3, 1)
    with pytest.raises(ValueError):
        window_months(date(2026, 2, 17), 0)


def test_documents_count_in_the_month_of_their_date() -> None:
    documents = [
        ("invoices", {"Type": "ACCREC", "Date": "/Date(1767225600000+0000)/", "Total": "100"}),
        ("invoices", {"Type": "ACCREC", "Date": "2026-01-31T00:00:00", "Total": Decimal("5.5")}),
        ("invoices", {"Type": "ACCPAY", "Date": "2026-02-01T00:00:00", "Total": "40.00"}),
        ("credit_notes", {"Date": "2026-02-03T00:00:00", "Total": "12.00"}),
        ("bank_transactions", {"Date": "2026-02-04T00:00:00", "Total": "7.25"}),
        ("manual_journals", {"Date": "2026-02-05T00:00:00"}),
    ]
    stats = tally(documents, ["2026-01", "2026-02"])
    january, february = stats.months
    assert january.counts["sales_invoices"] == 2
    assert january.totals["sales_invoices"] == Decimal("105.50")
    assert february.counts == {
        "sales_invoices": 0,
        "bills": 1,
        "credit_notes": 1,
        "bank_transactions": 1,
        "manual_journals": 1,
    }
    assert february.totals["bills"] == Decimal("40.00")


def test_deleted_and_voided_documents_are_not_work_done() -> None:
    documents = [
        ("invoices", {"Type": "ACCREC", "Status": "VOIDED", "Date": "2026-01-02T00:00:00"}),
        ("invoices", {"Type": "ACCREC", "Status": "DELETED", "Date": "2026-01-02T00:00:00"}),
        ("bank_transactions", {"Status": "DELETED", "Date": "2026-01-02T00:00:00"}),
        ("invoices", {"Type": "ACCREC", "Status": "PAID", "Date": "2026-01-02T00:00:00"}),
    ]
    (january,) = tally(documents, ["2026-01"]).months
    assert january.counts["sales_invoices"] == 1
    assert january.counts["bank_transactions"] == 0


def test_foreign_currency_totals_are_converted_to_the_base_currency() -> None:
    documents = [
        (
            "invoices",
            {
                "Type": "ACCREC",
                "Date": "2026-01-02T00:00:00",
                "Total": "110.00",
                "CurrencyRate": "1.1",
            },
        )
    ]
    (january,) = tally(documents, ["2026-01"]).months
    assert january.totals["sales_invoices"] == Decimal("100.00")


def test_documents_outside_the_window_are_ignored() -> None:
    documents = [("manual_journals", {"Date": "2025-01-02T00:00:00"})]
    (january,) = tally(documents, ["2026-01"]).months
    assert january.counts["manual_journals"] == 0
