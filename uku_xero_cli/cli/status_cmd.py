"""`uku-xero status`: connection health of a company (or of every company)."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def status(
    company: Company = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Read only local files; do not ask Xero.")
    ] = False,
    all_companies: Annotated[bool, typer.Option("--all", help="Every configured company.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="With --all: a company disconnected on purpose fails too (exit 3)."
        ),
    ] = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Show the company's Xero connection: organisation, token expiry, scopes, state.

    Checks live with Xero (refreshing the token when needed) unless --offline. Exit code 0
    connected, 3 not connected, 4 re-authorization needed, 1 Xero could not be checked. With
    --all a company disconnected on purpose is listed and fails only with --strict.

    Example:  uku-xero status -c acme --json
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.output import EveryCompany
        from uku_xero_cli.connection.sharing import local_records
        from uku_xero_cli.connection.status import company_status, configured_companies
        from uku_xero_cli.errors import UsageError
        from uku_xero_cli.tokens import TokenStore

        if strict and not all_companies:
            raise UsageError("--strict goes with --all")
        store = TokenStore(ctx.settings, warn=out.warn)
        names = configured_companies(ctx.settings) if all_companies else [ctx.company]
        others = local_records(store)
        reports = [
            company_status(
                ctx.settings,
                name,
                offline=offline,
                verbose=verbose > 0,
                store=store,
                others=others,
                disconnected_ok=all_companies and not strict,
            )
            for name in names
        ]
    if all_companies:
        out.emit(EveryCompany(reports), "connection:render_status_all")
    else:
        out.emit(reports[0], "connection:render_status")
