"""`doctor`'s report → Rich: a line per check with ✓, ! or ✗ (- when it could not run), and
under each one not ok the command or setting that fixes it. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import EveryCompany
    from uku_xero_cli.connection.doctor import DoctorReport

MARKS = {
    "ok": ("✓", "green"),
    "warning": ("!", "yellow"),
    "failed": ("✗", "red"),
    "skipped": ("-", "dim"),
}


def render_doctor(report: DoctorReport) -> RenderableType:
    width = max((len(c.name) for c in report.checks), default=0)
    lines: list[RenderableType] = [
        Text(f"uku-xero doctor: company '{report.company}'", style="bold")
    ]
    for check in report.checks:
        mark, style = MARKS[check.status]
        # A grid per check, its columns as wide as in every other: a long detail wraps under
        # itself, not under the names.
        row = Table.grid(padding=(0, 1))
        row.add_column(width=1, no_wrap=True)
        row.add_column(width=width + 1, no_wrap=True, style="bold")
        row.add_column(ratio=1)
        row.add_row(Text(mark, style=style), check.name, check.detail)
        lines.append(row)
        if check.fix and check.status != "ok":
            # Never broken by Rich: a long command stays one line to copy, and the terminal
            # folds it for the eye.
            fix = Text(" " * (width + 4) + "fix: " + check.fix, no_wrap=True, overflow="ignore")
            fix.stylize("cyan", width + 4)
            lines.append(fix)
    failed = sum(c.status == "failed" for c in report.checks)
    warned = sum(c.status == "warning" for c in report.checks)
    lines.append(
        Text(f"{failed} failed, {warned} warning(s)" if failed or warned else "every check passed")
    )
    return Group(*lines)


def render_doctor_all(every: EveryCompany[DoctorReport]) -> RenderableType:
    return Group(*(Group(render_doctor(report), Text("")) for report in every.results))
