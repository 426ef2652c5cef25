"""`uku-xero check-paid [NUMBER...]`: paid amounts, dates and status back from Xero."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Quiet, Verbose


def check_paid(
    numbers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Uku invoice numbers (default: every pushed invoice not yet paid or voided).",
            show_default=False,
        ),
    ] = None,
    company: Company = None,
    json_output: Json = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Read back what Xero says about pushed invoices: status, paid, due, payments.

    Shows each invoice's Xero status, total, amount paid, due and credited, the date it was
    paid in full and every payment's date and amount, and marks what changed since the
    previous check. Voided and deleted invoices are shown as such, never as paid.

    Example:  uku-xero check-paid -c acme      uku-xero check-paid UKU-2026-0042 --json
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, quiet=quiet)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.sync.paid import check_paid as run_check

        report = run_check(ctx.settings, ctx.company, numbers or None, warn=out.warn)
    out.emit(report, "invoices:paid_view")
    for result in report.missing:
        out.warn(
            f"Xero did not return invoice {result.number} ({result.invoice_id}): "
            "it may have been removed in Xero; it stays on the list of open invoices"
        )
