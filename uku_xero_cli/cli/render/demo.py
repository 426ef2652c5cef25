"""`uku-xero demo`'s closing line. Pure: nothing here prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from uku_xero_cli.cli.render.view import View

if TYPE_CHECKING:
    from uku_xero_cli.cli.demo import DemoReport


def demo_view(report: DemoReport) -> View:
    """After the steps (echoed as they ran): the tally, or nothing when a step failed (its
    error line says where)."""
    if report.failed is not None:
        return View()
    done = f"# Done: {len(report.steps)} steps in {report.seconds:.1f} s, all as expected."
    return View().data(Text(done))
