"""How tables and values read on a terminal: money, timestamps, and tables on a narrow one."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from rich.console import Console, RenderableType

from uku_xero_cli.cli.render.connection import render_status
from uku_xero_cli.cli.render.format import Col, FittedTable, moment, money, record_table
from uku_xero_cli.cli.render.invoices import paid_table, push_table
from uku_xero_cli.cli.render.sync import reload_summary, stats_table
from uku_xero_cli.connection.status import CONNECTED, StatusReport
from uku_xero_cli.store.models import Payment
from uku_xero_cli.sync.datasets import Column, Table
from uku_xero_cli.sync.paid import PaidReport, PaidResult
from uku_xero_cli.sync.push.report import InvoiceResult, PushReport
from uku_xero_cli.sync.reload import DATA_SETS, DataSetResult, ReloadResult
from uku_xero_cli.sync.stats import MonthStats, WorkStats


def shown(renderable: RenderableType, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, no_color=True, highlight=False).print(renderable)
    return out.getvalue()


def assert_fits(text: str, width: int) -> None:
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    assert "…" not in text  # nothing cut short


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("3770.63"), "GBP", "GBP 3,770.63"),
        ("3770.63", "GBP", "GBP 3,770.63"),
        (Decimal("1234567.5"), None, "1,234,567.50"),
        (Decimal("0.125"), None, "0.125"),  # never rounded
        (Decimal("-12"), "EUR", "EUR -12.00"),
        (None, "GBP", "-"),
    ],
)
def test_money_has_thousands_separators_and_keeps_every_decimal(
    value: Decimal | str | None, currency: str | None, expected: str
) -> None:
    assert money(value, currency) == expected


def test_a_moment_reads_to_the_minute_in_utc_from_a_datetime_or_stored_text() -> None:
    assert moment("2026-11-25T18:18:53.937752+00:00") == "2026-11-25 18:18 UTC"
    tallinn = datetime(2026, 11, 25, 20, 18, tzinfo=timezone(timedelta(hours=2)))
    assert moment(tallinn) == "2026-11-25 18:18 UTC"
    assert moment(None) == "-"


def test_status_shows_money_and_the_last_reload_as_people_read_them() -> None:
    report = StatusReport(
        "acme",
        CONNECTED,
        tenant_id="t-1",
        reloads={
            "contacts": {
                "finished_at": "2026-11-25T18:18:53.937752+00:00",
                "outcome": "ok",
                "new": 7,
                "updated": 0,
            }
        },
        awaiting_payment={"count": 7, "due_by_currency": {"GBP": "3770.63", "EUR": "12.5"}},
    )
    text = shown(render_status(report), 100)
    assert "2026-11-25 18:18 UTC" in text and "T18:18:53" not in text
    assert "Invoices awaiting payment: 7 (EUR 12.50, GBP 3,770.63)" in text
    # The machine format keeps what the store holds.
    assert report.to_json()["last_reload"]["contacts"]["finished_at"].startswith(
        "2026-11-25T18:18:53"
    )


def paid_report() -> PaidReport:
    paid = PaidResult(
        "UKU-2026-000123",
        "paid",
        xero_number="INV-0042",
        status="PAID",
        currency="GBP",
        total=Decimal("12345.60"),
        amount_paid=Decimal("12345.60"),
        amount_due=Decimal("0"),
        amount_credited=Decimal("0"),
        fully_paid_on=date(2026, 11, 20),
        payments=[Payment("p-1", "i-1", Decimal("12345.60"), date(2026, 11, 20))],
        changed=["status", "amount_paid", "amount_due", "fully_paid_on", "payments"],
    )
    part = PaidResult(
        "UKU-2026-000124",
        "part paid",
        xero_number="INV-0043",
        status="AUTHORISED",
        currency="GBP",
        total=Decimal("1764.00"),
        amount_paid=Decimal("882.00"),
        amount_due=Decimal("882.00"),
        amount_credited=Decimal("0"),
    )
    return PaidReport([paid, part])


def test_check_paid_at_80_columns_keeps_the_invoice_state_and_due_whole() -> None:
    text = shown(paid_table(paid_report()), 80)
    assert_fits(text, 80)
    for whole in ("UKU-2026-000123", "UKU-2026-000124", "part paid", "882.00", "0.00"):
        assert whole in text
    # What was left out is said, not silently dropped.
    assert "Not shown at this width: " in text and "credited" in text


def test_check_paid_on_a_wide_terminal_shows_every_column_on_one_header_line() -> None:
    text = shown(paid_table(paid_report()), 220)
    header = next(line for line in text.splitlines() if "Uku number" in line)
    for name in ("Xero number", "status", "credited", "fully paid on", "payments (date, amount)"):
        assert name in header
    assert "Not shown" not in text
    assert "12,345.60" in text


def test_the_reload_summary_at_80_columns_keeps_each_data_set_on_one_line() -> None:
    result = ReloadResult(
        "acme",
        [
            DataSetResult(name, incremental=True, fetched=100_000, new=100_000, requests=100)
            for name in DATA_SETS
        ],
        months=["2025-12", "2026-11"],
        seconds=125.0,
    )
    text = shown(reload_summary(result), 80)
    assert_fits(text, 80)
    lines = text.splitlines()
    for label in ("clients (contacts)", "bank transactions", "manual journals", "total"):
        assert sum(label in line for line in lines) == 1
    assert sum("100000" in line for line in lines) == len(DATA_SETS)
    assert "Not shown at this width: " in text


def test_push_invoice_at_80_columns_keeps_the_number_total_and_result() -> None:
    report = PushReport(
        [
            InvoiceResult(
                "UKU-2026-000123",
                "Harbour Lane Bakery and Confectionery Ltd",
                "GBP",
                "created",
                total=Decimal("12345.60"),
                xero_number="INV-0042",
                status="AUTHORISED",
                contact="created",
            )
        ]
    )
    text = shown(push_table(report), 80)
    assert_fits(text, 80)
    for whole in ("UKU-2026-000123", "12,345.60", "created"):
        assert whole in text


def test_a_fitted_table_leaves_out_the_highest_drop_first_and_never_a_key_column() -> None:
    table = FittedTable(
        "t",
        [
            Col("key column", key=True),
            Col("first to go", drop=2),
            Col("second to go", drop=1),
            Col("kept", key=True),
        ],
    )
    table.add_row("K" * 30, "x" * 20, "y" * 20, "z" * 20)
    assert "first to go" in shown(table, 120) and "second to go" in shown(table, 120)
    narrower = shown(table, 85)
    assert "Not shown at this width: first to go." in narrower and "y" * 20 in narrower
    narrowest = shown(table, 60)
    assert "first to go, second to go" in narrowest
    assert "K" * 30 in narrowest and "z" * 20 in narrowest


def test_statistics_totals_use_the_same_money_format() -> None:
    month = MonthStats("2026-11")
    month.counts["sales_invoices"] = 3
    month.totals["sales_invoices"] = Decimal("13734.5")
    assert "3 (13,734.50)" in shown(stats_table(WorkStats([month])), 200)


def test_timestamps_read_the_same_in_every_table() -> None:
    created = datetime(2026, 11, 25, 18, 18, 53, tzinfo=UTC)
    report = StatusReport("acme", CONNECTED, tenant_id="t-1", connected_at=created)
    assert "connected      2026-11-25 18:18 UTC" in shown(render_status(report), 100)


def test_a_reference_table_lists_the_columns_with_a_heading_as_people_read_them() -> None:
    spec = Table(
        "things",
        (
            Column("thing_id", "ThingID"),
            Column("code", "Code", "code"),
            Column("name", "Name", "name", wrap=True),
            Column("active", "IsActive", "active", kind="flag"),
            Column("updated", "UpdatedDateUTC", "updated", kind="time"),
        ),
        order_by="code",
    )
    records = [
        {"thing_id": "t-1", "code": "200", "name": "Sales [bold]", "active": True,
         "updated": "2026-11-25T18:18:53+00:00"},
        {"thing_id": "t-2", "code": "091", "name": None, "active": False, "updated": None},
    ]  # fmt: skip
    wide = shown(record_table("Things", spec, records), 120)
    assert "thing_id" not in wide and "t-1" not in wide  # --json only
    header = next(line for line in wide.splitlines() if "code" in line)
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == [
        "code",
        "name",
        "active",
        "updated",
    ]
    assert "Sales [bold]" in wide and "2026-11-25 18:18 UTC" in wide
    assert " yes " in wide and " no " in wide and " - " in wide
    narrow = shown(record_table("Things", spec, records), 30)
    assert_fits(narrow, 30)
    assert "200" in narrow and "091" in narrow  # the first column is never left out
    assert "Not shown at this width: updated" in " ".join(narrow.split())
