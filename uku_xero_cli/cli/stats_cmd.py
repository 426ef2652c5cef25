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
    verbose: Verbose = False,
) -> None:
    """Monthly work statistics: sales invoices, bills, credit notes, bank transactions and
    manual journals per calendar month, as imported by the last reload.

    Example:  uku-xero stats -c acme --months 6
    """
    ctx = command_context(company, json_mode=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from datetime import UTC, datetime

        from uku_xero_cli.cli.read_store import open_existing_store
        from uku_xero_cli.sync.reload import load_stats
        from uku_xero_cli.sync.stats import MonthStats, WorkStats, window_months

        window = window_months(datetime.now(UTC).date(), months)
        found = open_existing_store(ctx.settings, ctx.company)
        if found is None:
            work, last = WorkStats([MonthStats(m) for m in window]), {}
        else:
            with found as store:
                work = load_stats(store, window)
                last = store.last_runs(outcome="ok")
    reloaded = [last[name].finished_at for name in last if name in _STAT_SETS]
    as_of = max((w for w in reloaded if w is not None), default=None)
    if out.json_mode:
        out.json({"company": ctx.company, "as_of": as_of, **work.to_json()})
        return
    from uku_xero_cli.cli.render.sync import stats_chart, stats_table

    out.print(stats_table(work))
    # The chart is for a person reading a terminal; pipes and files get the table only.
    if out.surroundings.stdout.isatty() and not out.no_color:
        out.print(stats_chart(work))
    if as_of is None:
        out.info("No statistics yet: run `uku-xero reload` first.")


_STAT_SETS = ("invoices", "credit_notes", "bank_transactions", "manual_journals")
