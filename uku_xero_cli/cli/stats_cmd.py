"""`uku-xero stats`: monthly work statistics from the last reload."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def stats(
    company: Company = None,
    months: Annotated[
        int, typer.Option("--months", min=1, max=240, help="Calendar months to show.")
    ] = 12,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Monthly work statistics: sales invoices, bills, credit notes, bank transactions and
    manual journals per calendar month, as imported by the last reload.

    Example:  uku-xero stats -c acme --months 6
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.sync.stats import company_stats

        found = company_stats(ctx.settings, ctx.company, months)
    out.emit(found, "sync:stats_view")
