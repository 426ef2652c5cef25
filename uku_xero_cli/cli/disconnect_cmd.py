"""`uku-xero disconnect`: end a company's Xero connection, keeping its Uku-side data."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, NoInput, Verbose
from uku_xero_cli.command_lines import command_line


def disconnect(
    company: Company = None,
    everywhere: Annotated[
        bool,
        typer.Option(
            "--everywhere",
            help="Also delete a connection and revoke a sign-in other companies here share "
            "(they are named first, and will need auth again).",
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_input: NoInput = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """End the company's Xero connection: what only it uses at Xero, and its local tokens.

    The organisation's connection is deleted at Xero unless another company here uses it, and
    the refresh token revoked unless another company here was connected by the same Xero user
    (the output says what was left in place, and for whom); --everywhere ends both anyway.
    Imported clients, invoices and statistics are kept. If Xero cannot be reached, the local
    tokens are cleared anyway and the output says what Xero did not confirm.

    Example:  uku-xero disconnect -c acme --yes
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, no_input=no_input)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.prompts import confirm_or_require_yes
        from uku_xero_cli.connection.disconnect import disconnect as run_disconnect
        from uku_xero_cli.connection.disconnect import plan_disconnect
        from uku_xero_cli.tokens import TokenStore

        store = TokenStore(ctx.settings, warn=out.warn)
        plan = plan_disconnect(ctx.settings, ctx.company, everywhere=everywhere, store=store)
        # Who will be cut off is said before anything is done, asked or not.
        warning = plan.warning()
        if warning is not None:
            out.warn(warning)
        if not yes:
            name = plan.tenant_name or "Xero"
            if plan.record is None:
                name = "Xero (its token file is damaged)"
            question = f"Disconnect company '{ctx.company}' from {name}"
            if warning is not None:
                question += " and cut off the companies above"
            confirm_or_require_yes(
                out,
                question + "?",
                asking="disconnect",
                with_yes=command_line(
                    "disconnect", ctx.company, *(["--everywhere"] if everywhere else []), "--yes"
                ),
            )
        outcome = run_disconnect(ctx.settings, ctx.company, plan=plan, store=store)
    out.emit(outcome, "connection:render_disconnect")
