"""`uku-xero orgs`: the organisations a company's Xero connection reaches; switch between them."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, NoInput, Verbose
from uku_xero_cli.cli.prompts import cannot_ask, organisation_chooser
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
    no_input: NoInput = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """List the organisations the company's Xero sign-in reaches; the current one is marked.

    Example:  uku-xero orgs -c acme --use "Acme Ltd"
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, no_input=no_input)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.connection.connect import organisations
        from uku_xero_cli.tokens import TokenStore

        if select and use:
            raise UsageError("use either --select or --use, not both")
        store = TokenStore(ctx.settings, warn=out.warn)
        current = store.load(ctx.company)
        choose = None
        if select:
            choose = (
                organisation_chooser(out, current.tenant_id if current else None)
                if out.interactive
                else cannot_ask(
                    f"--select asks at the terminal, and cannot here ({out.why_no_questions()}): "
                    "nothing was changed"
                )
            )
        report = organisations(ctx.settings, ctx.company, use=use, choose=choose, store=store)
    out.emit(report, "connection:render_orgs")
