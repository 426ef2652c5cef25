"""`uku-xero reload`: import a company's Xero data into its Uku-side store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Quiet, Verbose
from uku_xero_cli.sync.datasets import LABELS, NAMES, ONLY_HELP

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgressBar

    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.sync.reload import DataSetResult
    from uku_xero_cli.xero.paging import Page


class RichProgress:
    """Progress per data set on a terminal: records, pages and, when Xero says, an ETA."""

    def __init__(self, bar: RichProgressBar, company: str) -> None:
        self.bar = bar
        self.company = company
        self.tasks: dict[str, Any] = {}

    def started(self, data_set: str) -> None:
        label = f"{self.company}: {LABELS.get(data_set, data_set)}"
        self.tasks[data_set] = self.bar.add_task(label, total=None, pages=0)

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        task = self.tasks[data_set]
        self.bar.update(task, completed=fetched, total=page.item_count, pages=page.number)

    def finished(self, result: DataSetResult) -> None:
        task = self.tasks.get(result.name)
        if task is not None:
            self.bar.update(task, total=result.fetched or 1, completed=result.fetched or 1)


def _progress_bar(out: Output) -> RichProgressBar:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages"),
        TimeRemainingColumn(),
        console=out.stderr,
        transient=True,
    )


def reload(
    company: Company = None,
    all_companies: Annotated[
        bool, typer.Option("--all", help="Reload every connected company, one after another.")
    ] = False,
    parallel: Annotated[
        int,
        typer.Option("--parallel", min=1, max=16, help="With --all: companies reloaded at once."),
    ] = 1,
    full: Annotated[
        bool, typer.Option("--full", help="Ignore cursors and import everything again.")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help=ONLY_HELP,
            autocompletion=lambda: list(NAMES),
            show_default=False,
        ),
    ] = None,
    months: Annotated[
        int, typer.Option("--months", min=1, max=240, help="Months of invoices and statistics.")
    ] = 12,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=1000, help="Records asked for per page.")
    ] = 1000,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If a reload of the company is running, queue behind it."),
    ] = False,
    json_output: Json = False,
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Import the company's Xero data (the data sets of --only) and its work statistics.

    Incremental by default: only what changed since the last reload is fetched; the small
    unpaged data sets are read whole. Each data set is written whole or not at all.

    Example:  uku-xero reload -c acme --only contacts,items      uku-xero reload --all --parallel 4
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, quiet=quiet)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.output import EveryCompany
        from uku_xero_cli.errors import UsageError
        from uku_xero_cli.sync.datasets import parse_only
        from uku_xero_cli.sync.reload import ReloadOptions
        from uku_xero_cli.sync.reload_companies import reload_all, reload_company

        if parallel > 1 and not all_companies:
            raise UsageError("--parallel goes with --all")
        if all_companies and company:
            raise UsageError("use either --company or --all, not both")
        options = ReloadOptions(
            full=full, only=parse_only(only), months=months, page_size=page_size
        )
        show_progress = out.interactive and not quiet
        bar = _progress_bar(out) if show_progress else None
        if bar is not None:
            bar.start()
        try:
            if all_companies:
                results = reload_all(
                    ctx.settings,
                    options,
                    parallel=parallel,
                    wait=wait,
                    progress_for=(lambda name: RichProgress(bar, name)) if bar else None,
                )
            else:
                progress = RichProgress(bar, ctx.company) if bar else None
                results = [
                    reload_company(ctx.settings, ctx.company, options, wait=wait, progress=progress)
                ]
        finally:
            if bar is not None:
                bar.stop()
    for result in results:
        if result.organisation_changed is not None:
            which = f"company '{result.company}': " if all_companies else ""
            out.warn(which + result.organisation_changed.message())
    if all_companies:
        out.emit(EveryCompany(results), "sync:reload_all_view")
    else:
        out.emit(results[0], "sync:reload_view")
