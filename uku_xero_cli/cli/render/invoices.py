"""push-invoice and check-paid models → Rich renderables. Pure: nothing here prints."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uku_xero_cli.cli.render.format import Col, FittedTable, money
from uku_xero_cli.cli.render.view import View
from uku_xero_cli.redact import redact

if TYPE_CHECKING:
    from uku_xero_cli.sync.paid import PaidReport, PaidResult
    from uku_xero_cli.sync.push.report import PushReport

DASH = "—"


def amount(value: Decimal | None) -> str:
    """Money with thousands separators and at least two decimals, exactly as held."""
    return money(value, missing=DASH)


def _cell(value: object) -> str:
    return DASH if value in (None, "") else redact(str(value))


def push_table(report: PushReport) -> RenderableType:
    """One row per invoice; below it, the reasons of any invoice that did not go through."""
    title = "push-invoice (dry run: nothing sent)" if report.dry_run else "push-invoice"
    table = FittedTable(
        Text(title),
        [
            Col("Uku number", key=True),
            Col("Xero number", drop=4),
            Col("client", fold=True),
            Col("contact", drop=2),
            Col("total", justify="right", key=True),
            Col("currency", drop=1),
            Col("status", drop=3),
            Col("result", key=True),
        ],
    )
    for r in report.results:
        table.add_row(
            _cell(r.number),
            _cell(r.xero_number),
            _cell(r.client),
            _cell(r.contact),
            amount(r.total),
            _cell(r.currency),
            _cell(r.status),
            r.result,
        )
    parts: list[RenderableType] = [table]
    noted = [r for r in report.results if r.reasons]
    if noted:
        reasons = Table(title=Text("why"), title_justify="left")
        reasons.add_column("Uku number")
        reasons.add_column("result")
        reasons.add_column("reason", overflow="fold")
        for r in noted:
            for reason in r.reasons:
                reasons.add_row(_cell(r.number), r.result, _cell(reason))
        parts.append(reasons)
    return Group(*parts)


def push_summary(report: PushReport) -> str:
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.result] = counts.get(r.result, 0) + 1
    text = ", ".join(f"{n} {result}" for result, n in counts.items()) or "no invoices"
    return f"{text}; {report.requests} request{'s' if report.requests != 1 else ''} to Xero"


def push_view(report: PushReport) -> View:
    """`push-invoice`: the table (when there were invoices), then the counts on stderr."""
    view = View().data(push_table(report)) if report.results else View()
    return view.info(push_summary(report))


def _payments(result: PaidResult) -> str:
    if not result.payments:
        return DASH
    return "\n".join(
        f"{p.date.isoformat() if p.date else '?'}  {amount(p.amount)}" for p in result.payments
    )


def paid_table(report: PaidReport) -> FittedTable:
    """One row per invoice: Xero's state, amounts, payments and what changed since last time."""
    # On a narrow terminal the invoice, its state, what is due and what changed stay.
    table = FittedTable(
        Text("check-paid"),
        [
            Col("Uku number", key=True),
            Col("Xero number", drop=6),
            Col("state", key=True),
            Col("status", drop=7),
            Col("currency", drop=3),
            Col("total", justify="right", drop=4),
            Col("paid", justify="right", drop=1),
            Col("due", justify="right", key=True),
            Col("credited", justify="right", drop=8),
            Col("fully paid on", drop=5),
            Col("payments (date, amount)", fold=True, drop=2),
            Col("changed", fold=True),
        ],
    )
    for r in report.results:
        table.add_row(
            _cell(r.number),
            _cell(r.xero_number),
            r.state,
            _cell(r.status),
            _cell(r.currency),
            amount(r.total),
            amount(r.amount_paid),
            amount(r.amount_due),
            amount(r.amount_credited),
            r.fully_paid_on.isoformat() if r.fully_paid_on else DASH,
            _payments(r),
            ", ".join(r.changed) if r.changed else ("no change" if r.checked else "unchanged"),
        )
    return table


def paid_summary(report: PaidReport) -> str:
    states: dict[str, int] = {}
    for r in report.results:
        states[r.state] = states.get(r.state, 0) + 1
    changed = sum(1 for r in report.results if r.changed)
    text = ", ".join(f"{n} {state}" for state, n in states.items()) or "no open invoices"
    return (
        f"{text}; {changed} changed since the previous check; {report.requests} "
        f"request{'s' if report.requests != 1 else ''} to Xero"
    )


def paid_view(report: PaidReport) -> View:
    """`check-paid`: the table (when there were invoices), then the states on stderr."""
    view = View().data(paid_table(report)) if report.results else View()
    return view.info(paid_summary(report))
