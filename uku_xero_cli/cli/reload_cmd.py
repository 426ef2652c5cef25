"""`uku-xero reload`: import a company's Xero data into its Uku-side store."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Quiet, Verbose
from uku_xero_cli.errors import Interrupted
from uku_xero_cli.sync.datasets import LABELS, NAMES, ONLY_HELP

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgressBar

    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.sync.reload import DataSetResult
    from uku_xero_cli.trace import Event, Wait
    from uku_xero_cli.xero.paging import Page


DEFAULT_MONTHS = 12


class RichProgress:
    """Progress per data set on a terminal: records, pages and, when Xero says, an ETA; and
    while the reload waits (a lock, Xero's limits, a retry), what for and how long."""

    def __init__(self, bar: RichProgressBar, company: str) -> None:
        self.bar = bar
        self.company = company
        self.tasks: dict[str, Any] = {}
        self.current: str | None = None
        self._waiting_task: Any = None  # a line of its own for a wait outside any data set

    def started(self, data_set: str) -> None:
        label = f"{self.company}: {LABELS.get(data_set, data_set)}"
        self.tasks[data_set] = self.bar.add_task(label, total=None, pages=0)
        self.current = data_set

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        task = self.tasks[data_set]
        self.bar.update(task, completed=fetched, total=page.item_count, pages=page.number)

    def finished(self, result: DataSetResult) -> None:
        task = self.tasks.get(result.name)
        if task is not None:
            self.bar.update(task, total=result.fetched or 1, completed=result.fetched or 1)
        self.current = None

    def wait(self, event: Wait) -> None:
        """Show a wait on the running data set's line (or a line of its own) while it lasts."""
        task = self.tasks.get(self.current) if self.current else None
        if event.phase == "start":
            shown = WaitShown(event.reason, event.seconds, time.monotonic())
            if task is None:
                task = self._waiting_task = self.bar.add_task(
                    f"{self.company}: waiting", total=None, pages=0, wait=shown
                )
            else:
                self.bar.update(task, wait=shown)
        elif self._waiting_task is not None:
            self.bar.remove_task(self._waiting_task)
            self._waiting_task = None
        elif task is not None:
            self.bar.update(task, wait=None)


@dataclass(frozen=True)
class WaitShown:
    """A wait as the progress display shows it, counting down (or up, when its length is
    not known) at every refresh."""

    reason: str
    seconds: float | None
    started: float  # time.monotonic()

    def text(self, now: float) -> str:
        if self.seconds is None:
            return f"{self.reason} (waiting {now - self.started:.0f} s)"
        left = max(self.seconds - (now - self.started), 0.0)
        return f"{self.reason}: waiting {math.ceil(left)} s"


def _progress_bar(out: Output) -> RichProgressBar:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class PagesOrWait(ProgressColumn):
        """Pages read so far, or, while the reload waits, why and for how long."""

        def render(self, task: Any) -> Text:
            shown = task.fields.get("wait")
            if isinstance(shown, WaitShown):
                return Text(shown.text(time.monotonic()))
            return Text(f"{task.fields.get('pages', 0)} pages")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        PagesOrWait(),
        TimeRemainingColumn(),
        console=out.stderr,
        transient=True,
    )


def _interrupted(company: str | None, only: str | None, full: bool, months: int) -> Interrupted:
    """Ctrl-C during a reload: what is kept, and the command that completes it (the same
    reload again: finished data sets are quick to read again incrementally)."""
    from uku_xero_cli.command_lines import command_line

    options = ["--all"] if company is None else []
    options += ["--only", only] if only else []
    options += ["--full"] if full else []
    options += ["--months", str(months)] if months != DEFAULT_MONTHS else []
    again = command_line("reload", company, *options)
    return Interrupted(
        "the reload was interrupted: each data set is written whole or not at all, so those "
        "that finished are kept and the rest are as they were",
        hint=f"complete it with `{again}`",
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
    ] = DEFAULT_MONTHS,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=1000, help="Records asked for per page.")
    ] = 1000,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If a reload of the company is running, queue behind it."),
    ] = False,
    json_output: Json = False,
    verbose: Verbose = 0,
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
        bar = _progress_bar(out) if out.live_display else None
        shown: dict[str, RichProgress] = {}

        def progress_for(name: str) -> RichProgress | None:
            if bar is None:
                return None
            shown[name] = RichProgress(bar, name)
            return shown[name]

        def show_wait(event: Event) -> None:
            from uku_xero_cli.trace import Wait

            progress = shown.get(event.company or "")
            if isinstance(event, Wait) and progress is not None:
                progress.wait(event)

        if bar is not None:
            bar.start()
            out.trace.add(show_wait)
        try:
            if all_companies:
                results = reload_all(
                    ctx.settings,
                    options,
                    parallel=parallel,
                    wait=wait,
                    progress_for=progress_for if bar else None,
                )
            else:
                progress = progress_for(ctx.company)
                results = [
                    reload_company(ctx.settings, ctx.company, options, wait=wait, progress=progress)
                ]
        except KeyboardInterrupt:
            company = None if all_companies else ctx.company
            raise _interrupted(company, only, full, months) from None
        finally:
            if bar is not None:
                out.trace.remove(show_wait)
                bar.stop()
    for result in results:
        if result.organisation_changed is not None:
            which = f"company '{result.company}': " if all_companies else ""
            out.warn(which + result.organisation_changed.message())
    if all_companies:
        out.emit(EveryCompany(results), "sync:reload_all_view")
    else:
        out.emit(results[0], "sync:reload_view")
