"""`uku-xero clients`: Uku's client list with its Integration column; `clients import FILE.csv`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Quiet, Verbose

clients_app = typer.Typer(
    help="Uku's client list with its Integration column (the linked Xero contact).",
    no_args_is_help=False,
    rich_markup_mode=None,
)


@clients_app.callback(invoke_without_command=True)
def clients(
    ctx: typer.Context,
    company: Company = None,
    unmatched: Annotated[
        bool, typer.Option("--unmatched", help="Only clients without a Xero contact.")
    ] = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Show Uku's client list with its Integration column (which Xero contact, matched how).

    Example:  uku-xero clients -c acme --unmatched      uku-xero clients import clients.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    command = command_context(company, json_output=json_output, verbose=verbose)
    out = command.out
    with out.guard():
        from uku_xero_cli.sync.clients import list_clients

        found = list_clients(command.settings, command.company, unmatched_only=unmatched)
    out.emit(found, "sync:clients_view")


@clients_app.command("import")
def import_clients(
    file: Annotated[
        Path,
        typer.Argument(
            help="Uku's client list: CSV with header id,name,email,registration_number,vat_number.",
            dir_okay=False,
        ),
    ],
    company: Company = None,
    json_output: Json = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Load Uku's client list from a CSV file, then match it to the imported Xero contacts.

    Every row is checked first; any bad row (reported by line number) means nothing is
    imported. A company not configured yet is created (and said to be new).

    Example:  uku-xero clients import -c acme clients.csv
    """
    command = command_context(
        company, json_output=json_output, verbose=verbose, quiet=quiet, creates_company=True
    )
    out = command.out
    with out.guard():
        from uku_xero_cli.sync.clients import import_clients

        imported = import_clients(
            command.settings, command.company, file, directory=command.surroundings.cwd
        )
    out.emit(imported, "sync:imported_clients_view")
