"""`uku-xero disconnect`: end a company's Xero connection, keeping its Uku-side data."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.exit_codes import ExitCode
from uku_xero_cli.cli.options import Company, Json, NoInput, Verbose
from uku_xero_cli.command_lines import command_line
from uku_xero_cli.errors import UsageError


def disconnect(
    company: Company = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_input: NoInput = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Remove the organisation's connection at Xero, revoke the token, clear local tokens.

    Imported clients, invoices and statistics are kept. If Xero cannot be reached, the local
    tokens are cleared anyway and the output says what Xero did not confirm.

    Example:  uku-xero disconnect -c acme --yes
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, no_input=no_input)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.prompts import confirm
        from uku_xero_cli.connection.disconnect import disconnect as run_disconnect
        from uku_xero_cli.errors import DamagedTokenFile
        from uku_xero_cli.tokens import TokenStore, not_connected

        store = TokenStore(ctx.settings, warn=out.warn)
        damaged = False
        try:
            record = store.load(ctx.company)
        except DamagedTokenFile:
            record, damaged = None, True  # disconnect is one way to clear it
        if not damaged and (record is None or not (record.tenant_id or record.refresh_token)):
            raise not_connected(ctx.company)
        if not yes:
            if not out.interactive:
                raise UsageError(
                    "disconnect asks for confirmation at the terminal, and cannot here "
                    f"({out.why_no_questions()}): nothing was changed",
                    hint=f"to disconnect, run `{command_line('disconnect', ctx.company, '--yes')}`",
                )
            if record is None:
                name = "Xero (its token file is damaged)"
            else:
                name = record.tenant_name or record.tenant_id or "Xero"
            if not confirm(out, f"Disconnect company '{ctx.company}' from {name}?"):
                out.info("Nothing was changed.")
                raise typer.Exit(ExitCode.ERROR)
        outcome = run_disconnect(ctx.settings, ctx.company, store=store)
    out.emit(outcome, "connection:render_disconnect")
