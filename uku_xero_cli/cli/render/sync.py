"""Reload, clients and statistics models → Rich renderables. Pure: nothing here prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uku_xero_cli.cli.render.format import Col, FittedTable, money, record_table
from uku_xero_cli.cli.render.view import View
from uku_xero_cli.command_lines import command_line
from uku_xero_cli.redact import redact
from uku_xero_cli.sync import stats
from uku_xero_cli.sync.datasets import LABELS

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import EveryCompany
    from uku_xero_cli.store.models import ClientRecord
    from uku_xero_cli.sync.clients import ClientList, ImportedClients
    from uku_xero_cli.sync.listing import StoredListing
    from uku_xero_cli.sync.matching import MatchResult
    from uku_xero_cli.sync.reload import ReloadResult

MATCH_LABELS = {
    "registration_number": "registration number",
    "tax_number": "tax number",
    "email": "email",
    "name": "name",
    "new_client": "new from Xero",
    "created_in_xero": "created in Xero",
}
BARS = " ▁▂▃▄▅▆▇█"


def seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest:02d} s"


def reload_summary(result: ReloadResult) -> FittedTable:
    """One row per data set: fetched, new, updated, unchanged, skipped archived, requests, time."""
    months = f", {result.months[0]} to {result.months[-1]}" if result.months else ""
    # On a narrow terminal, what can be worked out or matters least goes first.
    table = FittedTable(
        Text(f"Reload of '{result.company}'{months}"),
        [
            Col("data set", key=True),
            Col("mode", drop=3),
            Col("fetched", justify="right", key=True),
            Col("new", justify="right", key=True),
            Col("updated", justify="right", drop=1),
            Col("unchanged", justify="right", drop=6),
            Col("skipped archived", justify="right", drop=5),
            Col("requests", justify="right", drop=2),
            Col("time", justify="right", drop=4),
            Col("outcome", key=True),
        ],
    )
    for ds in result.data_sets:
        table.add_row(
            LABELS.get(ds.name, ds.name),
            "incremental" if ds.incremental else "full",
            str(ds.fetched),
            str(ds.new),
            str(ds.updated),
            str(ds.unchanged),
            str(ds.skipped_archived),
            str(ds.requests),
            seconds(ds.seconds),
            ds.outcome,
        )
    if result.data_sets:
        table.add_section()
        table.add_row(
            "total",
            "",
            str(sum(d.fetched for d in result.data_sets)),
            str(sum(d.new for d in result.data_sets)),
            str(sum(d.updated for d in result.data_sets)),
            str(sum(d.unchanged for d in result.data_sets)),
            str(sum(d.skipped_archived for d in result.data_sets)),
            str(result.requests),
            seconds(result.seconds),
            "ok" if result.ok else "failed",
        )
    return table


def matching_summary(matching: MatchResult) -> RenderableType:
    """What matching did, and every ambiguous contact with its candidate clients."""
    parts = [f"{matching.kept} kept"]
    parts += [f"{n} by {MATCH_LABELS.get(m, m)}" for m, n in sorted(matching.by_method().items())]
    parts.append(f"{matching.new_client_count} new clients from Xero")
    line = Text("Clients matched: " + ", ".join(parts) + ".")
    if not matching.ambiguities:
        return line
    table = Table(
        title=f"Left unlinked: {len(matching.ambiguities)} ambiguous contacts",
        title_justify="left",
    )
    table.add_column("contact")
    table.add_column("rule")
    table.add_column("candidate clients")
    for found in matching.ambiguities:
        candidates = ", ".join(found.candidate_ids) or "-"
        if found.rival_contact_ids:
            candidates += f" (also claimed by {len(found.rival_contact_ids)} other contacts)"
        table.add_row(
            Text(found.contact_name), MATCH_LABELS.get(found.rule, found.rule), Text(candidates)
        )
    return Group(line, table)


def reload_report(result: ReloadResult) -> RenderableType:
    parts: list[RenderableType] = [reload_summary(result)]
    if result.matching is not None:
        parts.append(matching_summary(result.matching))
    return Group(*parts)


def reload_view(result: ReloadResult) -> View:
    """`reload`: the summary of a company's reload (none when it failed before any data set)."""
    return View().data(reload_report(result)) if result.data_sets else View()


def reload_all_view(every: EveryCompany[ReloadResult]) -> View:
    """`reload --all`: each company's summary, then one row per company."""
    view = View()
    for result in every.results:
        if result.data_sets:
            view.data(reload_report(result))
    return view.data(companies_summary(every.results))


def companies_summary(results: Sequence[ReloadResult]) -> Table:
    """`reload --all`: one row per company, with why a failed one failed."""
    table = Table(title="Reload of every connected company", title_justify="left")
    table.add_column("company")
    table.add_column("outcome")
    table.add_column("data sets", justify="right")
    table.add_column("fetched", justify="right")
    table.add_column("requests", justify="right")
    table.add_column("time", justify="right")
    table.add_column("error")
    for result in results:
        done = sum(1 for d in result.data_sets if d.outcome == "ok")
        table.add_row(
            result.company,
            "ok" if result.ok else "failed",
            str(done),
            str(sum(d.fetched for d in result.data_sets)),
            str(result.requests),
            seconds(result.seconds),
            Text("" if result.error is None else redact(str(result.error))),
        )
    return table


def integration(client: ClientRecord) -> str:
    if client.xero_contact_id is None:
        return "-"
    name = client.contact_name or client.xero_contact_id
    how = MATCH_LABELS.get(client.match_method or "", client.match_method or "linked")
    status = client.contact_status
    archived = " (archived in Xero)" if status and status != "ACTIVE" else ""
    return f"{name} ({how}){archived}"


def clients_view(found: ClientList) -> View:
    """`clients`: the table, and how to fill it when it is empty."""
    view = View().data(clients_table(found.clients, unmatched=found.unmatched_only))
    if not found.clients:
        load = command_line("clients import", found.company, "FILE.csv")
        reload = command_line("reload", found.company)
        view.info(
            f"No clients yet: load Uku's list with `{load}` and import Xero contacts "
            f"with `{reload}`."
        )
    return view


def imported_clients_view(done: ImportedClients) -> View:
    """`clients import`: the counts, then what matching linked or left ambiguous."""
    counts = done.imported.counts
    view = View().info(
        f"Imported {done.imported.rows} clients from {done.imported.path} into company "
        f"'{done.company}': {counts.new} new, {counts.updated} updated, "
        f"{counts.unchanged} unchanged."
    )
    if done.new_company:
        from uku_xero_cli.connection.known import did_you_mean

        view.info(
            f"Company '{done.company}' is new: this import created it{did_you_mean(done.close_to)}"
        )
    if done.matching.links or done.matching.ambiguities:
        view.data(matching_summary(done.matching))
    return view


def clients_table(clients: Sequence[ClientRecord], *, unmatched: bool = False) -> Table:
    title = "Uku clients without a Xero contact" if unmatched else "Uku clients"
    table = Table(title=f"{title} ({len(clients)})", title_justify="left")
    table.add_column("id")
    table.add_column("name")
    table.add_column("email")
    table.add_column("registration")
    table.add_column("VAT")
    table.add_column("from")
    table.add_column("Integration")
    for client in clients:
        name = client.name + (" (archived)" if client.archived else "")
        # Text cells: names and emails come from users and Xero, never read as markup.
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    client.id,
                    name,
                    client.email or "",
                    client.registration_number or "",
                    client.vat_number or "",
                    client.origin,
                    integration(client),
                )
            )
        )
    return table


def stats_table(work: stats.WorkStats) -> Table:
    """Month by month: the count of each metric, with its total where it has one."""
    table = Table(title="Monthly work statistics", title_justify="left")
    table.add_column("month")
    for metric in stats.METRICS:
        table.add_column(stats.LABELS[metric], justify="right")
    for month in work.months:
        cells = []
        for metric in stats.METRICS:
            count = month.counts[metric]
            if metric in stats.WITH_TOTALS and count:
                cells.append(f"{count} ({money(month.totals[metric])})")
            else:
                cells.append(str(count))
        table.add_row(month.month, *cells)
    return table


def stats_view(found: stats.CompanyStats) -> View:
    """`stats`: the table, the chart at a terminal, and what to do when nothing is stored."""
    view = View().data(stats_table(found.work)).terminal(stats_chart(found.work))
    if found.as_of is None:
        view.info(f"No statistics yet: run `{command_line('reload', found.company)}` first.")
    return view


def bar(values: Sequence[int]) -> str:
    """One character per value, scaled to the largest: a sparkline."""
    top = max(values, default=0)
    if top <= 0:
        return BARS[0] * len(values)
    steps = len(BARS) - 1
    return "".join(BARS[0 if v <= 0 else max(1, round(v / top * steps))] for v in values)


def stats_chart(work: stats.WorkStats) -> Table:
    """A compact bar chart per metric: one line each, one bar per month, oldest first."""
    first = work.months[0].month if work.months else ""
    last = work.months[-1].month if work.months else ""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_column(justify="right")
    table.add_row("", f"{first} … {last}", "max")
    for metric in stats.METRICS:
        values = [m.counts[metric] for m in work.months]
        table.add_row(stats.LABELS[metric], bar(values), str(max(values, default=0)))
    return table


def listing_view(found: StoredListing) -> View:
    """A listing command (`accounts`): the stored records under the data set's columns, and
    how to import them when no reload has yet."""
    data_set = found.data_set
    assert data_set.table is not None
    title = f"{data_set.label.capitalize()} of '{found.company}' ({len(found.records)})"
    view = View().data(record_table(title, data_set.table, found.records))
    if found.as_of is None:
        fix = command_line("reload", found.company, "--only", data_set.name)
        view.info(f"No {data_set.label} yet: run `{fix}`.")
    return view
