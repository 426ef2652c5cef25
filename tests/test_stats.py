"""Monthly work statistics: which documents count, in which month, for how much."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.store import Store
from uku_xero_cli.sync.reload import ID_FIELDS, load_stats, work_document
from uku_xero_cli.sync.stats import WorkStats, window_months, window_start


def tally(
    tmp_path: Path, documents: list[tuple[str, dict[str, Any]]], months: list[str]
) -> WorkStats:
    """The statistics reload keeps for these (kind, Xero record) pairs: each becomes a stored
    work document, and the month figures are computed from the store as reload does."""
    with Store.open(tmp_path / "stats.sqlite") as db:
        rows = [
            found
            for number, (kind, record) in enumerate(documents)
            if (found := work_document(kind, {ID_FIELDS[kind]: f"doc-{number}", **record}))
        ]
        with db.transaction():
            db.upsert_work_documents(rows)
            db.write_work_stats(months, db.work_document_stats(months))
        return load_stats(db, months)


def test_the_window_is_the_last_n_calendar_months_including_this_one() -> None:
    assert window_months(date(2026, 2, 17), 3) == ["2025-12", "2026-01", "2026-02"]
    assert window_start(date(2026, 2, 17), 12) == date(2025, 3, 1)
    with pytest.raises(ValueError):
        window_months(date(2026, 2, 17), 0)


def test_documents_count_in_the_month_of_their_date(tmp_path: Path) -> None:
    documents = [
        ("invoices", {"Type": "ACCREC", "Date": "/Date(1767225600000+0000)/", "Total": "100"}),
        ("invoices", {"Type": "ACCREC", "Date": "2026-01-31T00:00:00", "Total": Decimal("5.5")}),
        ("invoices", {"Type": "ACCPAY", "Date": "2026-02-01T00:00:00", "Total": "40.00"}),
        ("credit_notes", {"Date": "2026-02-03T00:00:00", "Total": "12.00"}),
        ("bank_transactions", {"Date": "2026-02-04T00:00:00", "Total": "7.25"}),
        ("manual_journals", {"Date": "2026-02-05T00:00:00"}),
    ]
    stats = tally(tmp_path, documents, ["2026-01", "2026-02"])
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


def test_deleted_and_voided_documents_are_not_work_done(tmp_path: Path) -> None:
    documents = [
        ("invoices", {"Type": "ACCREC", "Status": "VOIDED", "Date": "2026-01-02T00:00:00"}),
        ("invoices", {"Type": "ACCREC", "Status": "DELETED", "Date": "2026-01-02T00:00:00"}),
        ("bank_transactions", {"Status": "DELETED", "Date": "2026-01-02T00:00:00"}),
        ("invoices", {"Type": "ACCREC", "Status": "PAID", "Date": "2026-01-02T00:00:00"}),
    ]
    (january,) = tally(tmp_path, documents, ["2026-01"]).months
    assert january.counts["sales_invoices"] == 1
    assert january.counts["bank_transactions"] == 0


def test_foreign_currency_totals_are_converted_to_the_base_currency(tmp_path: Path) -> None:
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
    (january,) = tally(tmp_path, documents, ["2026-01"]).months
    assert january.totals["sales_invoices"] == Decimal("100.00")


def test_documents_outside_the_window_are_ignored(tmp_path: Path) -> None:
    documents = [("manual_journals", {"Date": "2025-01-02T00:00:00"})]
    (january,) = tally(tmp_path, documents, ["2026-01"]).months
    assert january.counts["manual_journals"] == 0


# -- the stats command -------------------------------------------------------------------------


Cli = Callable[..., CliResult]


@pytest.fixture
def reloaded(
    cli: Cli, sandbox: Sandbox, sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    point_at(sandbox_server, monkeypatch)
    connect_company(sandbox)
    result = cli("reload", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    return sandbox


def test_stats_json_matches_the_emulators_books_month_by_month(cli: Cli, reloaded: Sandbox) -> None:
    from tests.test_reload import expected_stats

    result = cli("stats", "-c", "acme", "--json", "--months", "6")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    months = window_months(date.today(), 6)
    assert [m["month"] for m in data["months"]] == months
    assert data["as_of"] is not None
    shown = {
        (m["month"], metric): (figures["count"], Decimal(figures["total"] or "0"))
        for m in data["months"]
        for metric, figures in m["metrics"].items()
        if figures["count"]
    }
    assert shown == expected_stats(reloaded, months)


def test_stats_prints_a_table_and_a_chart_only_on_a_terminal(
    cli: Cli, reloaded: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = cli("stats", "-c", "acme", "--months", "3")
    assert plain.exit_code == 0
    assert "Monthly work statistics" in plain.stdout and "Sales invoices" in plain.stdout
    assert not any(block in plain.stdout for block in "▁▂▃▄▅▆▇█")

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    on_tty = cli("stats", "-c", "acme", "--months", "3")
    assert on_tty.exit_code == 0
    assert any(block in on_tty.stdout for block in "▁▂▃▄▅▆▇█")


def test_stats_before_any_reload_says_so(cli: Cli, sandbox: Sandbox) -> None:
    connect_company(sandbox)
    result = cli("stats", "-c", "acme", "--months", "2")
    assert result.exit_code == 0
    assert "run `uku-xero reload -c acme` first" in result.stderr
    assert "Sales invoices" in result.stdout


def test_stats_of_an_unknown_company_exits_3_and_creates_no_store(
    cli: Cli, isolated_dirs: dict[str, Path]
) -> None:
    result = cli("stats", "-c", "typo")
    assert result.exit_code == 3
    assert "no company 'typo'" in result.stderr
    assert "uku-xero auth -c typo" in result.stderr
    assert not (isolated_dirs["data"] / "companies" / "typo.sqlite").exists()
    listed = cli("companies", "--json")
    assert listed.exit_code == 0
    assert listed.json() == {"companies": []}


def test_the_bar_chart_scales_to_the_busiest_month() -> None:
    from uku_xero_cli.cli.render.sync import bar

    assert bar([0, 1, 8]) == " ▁█"
    assert bar([0, 0]) == "  "
    assert bar([5, 10]) == "▄█"
