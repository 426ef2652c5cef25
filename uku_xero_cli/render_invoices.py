"""push-invoice and check-paid models → Rich renderables. Pure: nothing here prints."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uku_xero_cli.redact import redact

if TYPE_CHECKING:
    from uku_xero_cli.sync.invoices import PushReport
    from uku_xero_cli.sync.paid import PaidReport, PaidResult

DASH = "—"


def amount(value: Decimal | None) -> str:
    """Money with thousands separators and at least two decimals, exactly as held."""
    if value is None:
        return DASH
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) and exponent < 0 else 2
    return f"{value:,.{places}f}"


def _cell(value: object) -> str:
    return DASH if value in (None, "") else redact(str(value))


def push_table(report: PushReport) -> RenderableType:
    """One row per invoice; below it, the reasons of any invoice that did not go through."""
    title = "push-invoice (dry run: nothing sent)" if report.dry_run else "push-invoice"
    table = Table(title=Text(title), title_justify="left")
    for name in ("Uku number", "Xero number", "client", "contact"):
        table.add_column(name)
    table.add_column("total", justify="right")
    for name in ("currency", "status", "result"):
        table.add_column(name)
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


def _payments(result: PaidResult) -> str:
    if not result.payments:
        return DASH
    return "\n".join(
        f"{p.date.isoformat() if p.date else '?'}  {amount(p.amount)}" for p in result.payments
    )


def paid_table(report: PaidReport) -> Table:
    """One row per invoice: Xero's state, amounts, payments and what changed since last time."""
    table = Table(title=Text("check-paid"), title_justify="left")
    for name in ("Uku number", "Xero number", "state", "status", "currency"):
        table.add_column(name)
    for name in ("total", "paid", "due", "credited"):
        table.add_column(name, justify="right")
    table.add_column("fully paid on")
    table.add_column("payments (date, amount)")
    table.add_column("changed")
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
