"""Result models → Rich renderables. Pure: nothing here prints, reads files or talks to Xero."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uku_xero_cli.cli.render.format import Col, FittedTable, money
from uku_xero_cli.cli.render.format import moment as when
from uku_xero_cli.cli.render.view import View
from uku_xero_cli.command_lines import auth_again, command_line

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import EveryCompany
    from uku_xero_cli.connection.connect import AuthOutcome, OrgsReport
    from uku_xero_cli.connection.disconnect import DisconnectOutcome
    from uku_xero_cli.connection.lifecycle import Removal, Renaming
    from uku_xero_cli.connection.sharing import Sharing
    from uku_xero_cli.connection.status import CompanySummary, StatusReport
    from uku_xero_cli.xero.client import XeroConnection


def _fields(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    return table


def render_auth(outcome: AuthOutcome) -> RenderableType:
    who = outcome.user_name or "-"
    if outcome.user_email:
        who = f"{who} <{outcome.user_email}>"
    return Group(
        Text(outcome.summary),
        _fields(
            [
                ("organisation", outcome.tenant_name),
                ("tenant id", outcome.tenant_id),
                ("authorized by", who),
                ("scopes", " ".join(outcome.scopes)),
            ]
        ),
    )


def render_org_choices(orgs: list[XeroConnection], current: str | None = None) -> Table:
    table = Table(title="Organisations this Xero login reaches", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("organisation")
    table.add_column("tenant id")
    for number, org in enumerate(orgs, 1):
        mark = " (current)" if org.tenant_id == current else ""
        table.add_row(str(number), org.tenant_name + mark, org.tenant_id)
    return table


def render_orgs(report: OrgsReport) -> RenderableType:
    # Tenant ids are what `--use` takes: never cut, whatever the width.
    table = FittedTable(
        Text(f"Organisations of company '{report.company}'"),
        [
            Col("", key=True),
            Col("organisation", fold=True),
            Col("tenant id", key=True),
            Col("type", drop=2),
            Col("connected", drop=1),
        ],
    )
    for org in report.organisations:
        current = org.tenant_id == report.current_tenant_id
        table.add_row(
            "*" if current else "",
            org.tenant_name,
            org.tenant_id,
            org.tenant_type or "-",
            when(org.created),
        )
    parts: list[RenderableType] = [table]
    current_org = report.current
    if report.changed and current_org is not None:
        parts.append(Text(f"Company '{report.company}' now uses {current_org.tenant_name}."))
    elif current_org is None and report.current_tenant_id:
        parts.append(
            Text(
                "The organisation this company uses is no longer among them: pick another "
                "with --use or --select."
            )
        )
    return Group(*parts)


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _state_text(report: StatusReport) -> Text:
    from uku_xero_cli.connection.status import CONNECTED, NEEDS_REAUTH

    if report.state == CONNECTED:
        label = "connected" + ("" if report.live else " (not checked with Xero: --offline)")
        if report.error is not None:
            label = f"connected as far as known; Xero could not be checked: {report.error}"
        return Text(label, style="green" if report.error is None else "yellow")
    if report.state == NEEDS_REAUTH:
        return Text(f"needs re-authorization: {report.reason or 'unknown reason'}", style="red")
    if report.disconnected_at is not None:
        return Text(f"not connected: disconnected on purpose {when(report.disconnected_at)}")
    return Text("not connected", style="yellow")


def sharing_text(sharing: Sharing | None) -> str | None:
    """Who shares the company's Xero user or connection, in a line; None when nobody does."""
    if sharing is None or sharing.alone:
        return None
    connection = set(sharing.same_connection)
    parts = [
        f"{name} (same Xero user{' and connection' if name in connection else ''})"
        for name in sharing.same_user
    ]
    parts += [
        f"{name} (possibly the same Xero user{' and connection' if name in connection else ''}"
        ": not on file)"
        for name in sharing.maybe_same_user
    ]
    return ", ".join(parts)


UNUSABLE = "unusable: Xero refused it (re-authorization needed)"


def _access_line(report: StatusReport) -> str:
    left = report.access_seconds_left
    if left is None:
        return "-"
    if not report.tokens_usable:
        return UNUSABLE
    if left > 0:
        return f"expires {when(report.access_expires_at)} (in {_duration(left)})"
    return f"expired {when(report.access_expires_at)} (refreshed on next use)"


def _refresh_line(report: StatusReport) -> str | None:
    age, days_left = report.refresh_age_days, report.refresh_days_left
    if age is None or days_left is None:
        return None
    if not report.tokens_usable:
        return f"{UNUSABLE}; {age:.0f} days old"
    refresh = f"{age:.0f} days old, {max(days_left, 0):.0f} of Xero's 60 days left"
    if days_left <= 0:
        refresh += f" (probably expired: run `{auth_again(report.company)}`)"
    return refresh


def render_status(report: StatusReport) -> RenderableType:
    """One company's connection health in detail."""
    from uku_xero_cli.connection.status import NOT_CONNECTED

    rows: list[tuple[str, str | Text]] = [
        ("company", report.company),
        ("state", _state_text(report)),
    ]
    if report.state != NOT_CONNECTED and report.tenant_id is not None:
        rows.append(("organisation", f"{report.tenant_name or '-'} ({report.tenant_id})"))
        rows.append(("access token", _access_line(report)))
        refresh = _refresh_line(report)
        if refresh is not None:
            rows.append(("refresh token", refresh))
        if report.fingerprints:
            rows.append(
                (
                    "fingerprints",
                    ", ".join(f"{k} {v}" for k, v in sorted(report.fingerprints.items())),
                )
            )
        who = report.user_name or "-"
        if report.user_email:
            who = f"{who} <{report.user_email}>"
        rows.append(("authorized by", who))
        shared = sharing_text(report.sharing)
        if shared is not None:
            rows.append(("shared with", shared))
        rows.append(("connected", when(report.connected_at)))
        rows.append(("scopes", " ".join(report.scopes) or "-"))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    parts: list[RenderableType] = [table]
    missing = [f for f in report.features if not f.ok]
    if missing:
        features = Table(title="Features the granted scopes do not allow", title_justify="left")
        features.add_column("feature")
        features.add_column("missing scopes", overflow="fold")
        features.add_column("so Uku cannot")
        features.add_column("commands stopped", overflow="fold")
        for check in missing:
            features.add_row(
                check.feature, "\n".join(check.missing), check.what, "\n".join(check.blocks)
            )
        parts.append(features)
        if any(command.startswith("reload") for c in missing for command in c.blocks):
            parts.append(Text("A whole `reload` stops at the first data set it may not read."))
    if report.reloads:
        reloads = Table(title="Last reload", title_justify="left")
        reloads.add_column("data set")
        reloads.add_column("finished")
        reloads.add_column("outcome")
        reloads.add_column("new", justify="right")
        reloads.add_column("updated", justify="right")
        for name, run in sorted(report.reloads.items()):
            reloads.add_row(
                name,
                when(run.get("finished_at")),
                str(run.get("outcome") or "-"),
                str(run.get("new", "-")),
                str(run.get("updated", "-")),
            )
        parts.append(reloads)
    if report.awaiting_payment is not None:
        due = report.awaiting_payment.get("due_by_currency") or {}
        amounts = ", ".join(money(amount, cur) for cur, amount in sorted(due.items()))
        count = report.awaiting_payment.get("count", 0)
        parts.append(
            Text(f"Invoices awaiting payment: {count}" + (f" ({amounts})" if amounts else ""))
        )
    if report.store_note:
        parts.append(Text(report.store_note))
    return Group(*parts, *_unfinished(report))


def _unfinished(report: StatusReport) -> list[Text]:
    """The line that names an unfinished reload and the command that completes it."""
    if report.completing_command is None:
        return []
    return [
        Text(
            f"Unfinished reload of '{report.company}': {', '.join(report.unfinished)}. "
            f"Complete it with:\n  {report.completing_command}",
            style="yellow",
        )
    ]


def render_status_all(every: EveryCompany[StatusReport]) -> RenderableType:
    """Every company on one line each, then any unfinished reload with its fix."""
    reports = every.results
    table = Table(title="Companies", title_justify="left")
    table.add_column("company")
    table.add_column("organisation")
    table.add_column("state")
    table.add_column("access token")
    table.add_column("refresh token days left", justify="right")
    for report in reports:
        left = report.access_seconds_left
        days = report.refresh_days_left
        if left is not None and not report.tokens_usable:
            access, refresh = "unusable", "unusable"
        else:
            access = (
                "-" if left is None else ("expired" if left <= 0 else f"{_duration(left)} left")
            )
            refresh = "-" if days is None else f"{max(days, 0):.0f}"
        table.add_row(
            report.company, report.tenant_name or "-", _state_text(report), access, refresh
        )
    return Group(table, *(line for report in reports for line in _unfinished(report)))


def _company_label(company: CompanySummary) -> str:
    if company.default:
        return f"{company.company} (default)"
    return f"{company.company} (current)" if company.current else company.company


def render_companies(every: EveryCompany[CompanySummary]) -> RenderableType:
    companies = every.results
    if not companies:
        return Text("No companies yet: connect one with `uku-xero auth -c NAME`.")
    table = Table(title="Companies", title_justify="left")
    table.add_column("company")
    table.add_column("organisation")
    table.add_column("tenant id")
    table.add_column("state")
    table.add_column("local data")
    table.add_column("shares its Xero login with")
    for company in companies:
        state = company.state.replace("_", " ")
        if company.reason:
            state = f"{state}: {company.reason}"
        table.add_row(
            _company_label(company),
            company.tenant_name or "-",
            company.tenant_id or "-",
            state,
            "yes" if company.has_store else "no",
            sharing_text(company.sharing) or "-",
        )
    kept = [(c.company, org) for c in companies for org in c.organisations if not org.current]
    if not kept:
        return table
    others = Table(title="Data of organisations not current", title_justify="left")
    others.add_column("company")
    others.add_column("organisation")
    others.add_column("tenant id")
    others.add_column("size", justify="right")
    others.add_column("last reload")
    for name, org in kept:
        others.add_row(
            name,
            org.tenant_name or "-",
            org.tenant_id,
            _size(org.size_bytes),
            when(org.last_reload),
        )
    return Group(
        table,
        others,
        Text(
            "It comes back when the company switches to that organisation again; "
            "`uku-xero companies remove NAME --org TENANT` deletes it."
        ),
    )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    scaled = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        scaled /= 1024
        if scaled < 1024 or unit == "GiB":
            break
    return f"{scaled:.1f} {unit}"


def render_removal(removal: Removal) -> RenderableType:
    org = removal.organisation
    if org is None:
        head = f"Removed company '{removal.company}': {len(removal.files)} file(s)."
    else:
        name = org.tenant_name or org.tenant_id
        head = f"Removed the data of '{name}' from company '{removal.company}'."
    return Group(Text(head), *(Text(f"  {path}") for path in removal.files))


def render_renaming(renaming: Renaming) -> View:
    view = View().data(Text(f"Renamed company '{renaming.old}' to '{renaming.new}'."))
    for source, target in renaming.moved:
        view.data(Text(f"  {source} -> {target}"))
    for note in renaming.notes:
        view.warn(note)
    return view


def render_disconnect(outcome: DisconnectOutcome) -> View:
    from uku_xero_cli.connection.disconnect import (
        ALREADY_GONE,
        CONNECTION,
        KEPT,
        REFRESH_TOKEN,
        REMOVED,
        REVOKED,
    )

    name = outcome.tenant_name or outcome.tenant_id or "Xero"
    kept = {item.what: item.companies for item in outcome.left_in_place}

    def who(what: str) -> str:
        return ", ".join(f"'{company}'" for company in kept.get(what, ()))

    connection = {
        REMOVED: "removed at Xero",
        ALREADY_GONE: "was already removed at Xero",
        KEPT: f"left in place at Xero: also used by {who(CONNECTION)}",
    }.get(outcome.connection, "NOT confirmed at Xero")
    token = {
        REVOKED: "revoked at Xero",
        KEPT: f"not revoked: it would also cut off {who(REFRESH_TOKEN)}",
    }.get(outcome.token, "NOT confirmed revoked at Xero")
    rows = [
        ("connection", connection),
        ("refresh token", token),
        ("local tokens", "cleared"),
        ("Uku-side data", f"kept ({outcome.store_kept})" if outcome.store_kept else "none"),
    ]
    if outcome.cut_off:
        rows.append(("cut off", ", ".join(f"'{c}' (needs auth)" for c in outcome.cut_off)))
    view = View().data(
        Group(Text(f"Disconnected company '{outcome.company}' from {name}."), _fields(rows))
    )
    for item in outcome.left_in_place:
        view.info(f"Left in place: {item.reason}.")
    if outcome.left_in_place:
        everywhere = command_line("disconnect", outcome.company, "--everywhere")
        view.info(
            f"`{everywhere}` ends them at Xero anyway (the companies named will need "
            f"`{auth_again('NAME')}` again)."
        )
    if outcome.possibly_cut_off:
        names = ", ".join(f"'{c}'" for c in outcome.possibly_cut_off)
        view.info(
            f"Possibly cut off too: {names} (check with `{command_line('status', None, '--all')}`)."
        )
    for note in outcome.notes:
        view.warn(note)
    return view
