"""`uku-xero orgs`: the organisations a company's Xero connection reaches; switch between them."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose
from uku_xero_cli.cli.prompts import organisation_chooser
from uku_xero_cli.errors import UsageError


def orgs(
    company: Company = None,
    select: Annotated[
        bool, typer.Option("--select", help="Pick the organisation interactively.")
    ] = False,
    use: Annotated[
        str | None,
        typer.Option(help="Switch to this organisation (tenant id or name).", show_default=False),
    ] = None,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """List the organisations the company's Xero sign-in reaches; the current one is marked.

    Example:  uku-xero orgs -c acme --use "Acme Ltd"
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.connection.connect import organisations
        from uku_xero_cli.tokens import TokenStore

        if select and use:
            raise UsageError("use either --select or --use, not both")
        if select and not out.interactive:
            raise UsageError(
                "--select asks on a terminal; without one, name the organisation with --use"
            )
        store = TokenStore(ctx.settings, warn=out.warn)
        current = store.load(ctx.company)
        report = organisations(
            ctx.settings,
            ctx.company,
            use=use,
            choose=organisation_chooser(out, current.tenant_id if current else None)
            if select
            else None,
            store=store,
        )
    out.emit(report, "connection:render_orgs")
