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
    verbose: Verbose = False,
) -> None:
    """Show Uku's client list with its Integration column (which Xero contact, matched how).

    Example:  uku-xero clients -c acme --unmatched      uku-xero clients import clients.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    command = command_context(company, json_mode=json_output, verbose=verbose)
    out = command.out
    with out.guard():
        from uku_xero_cli.cli.read_store import open_existing_store

        existing = open_existing_store(command.settings, command.company)
        found = []
        if existing is not None:
            with existing as store:
                found = store.list_clients(unmatched_only=unmatched)
    if out.json_mode:
        out.json(
            {
                "company": command.company,
                "unmatched_only": unmatched,
                "clients": [c.to_json() for c in found],
            }
        )
        return
    from uku_xero_cli.cli.render.sync import clients_table

    out.print(clients_table(found, unmatched=unmatched))
    if not found:
        out.info(
            "No clients yet: load Uku's list with `uku-xero clients import FILE.csv` "
            "and import Xero contacts with `uku-xero reload`."
        )


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
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Load Uku's client list from a CSV file, then match it to the imported Xero contacts.

    Every row is checked first; any bad row (reported by line number) means nothing is
    imported.

    Example:  uku-xero clients import -c acme clients.csv
    """
    command = command_context(company, json_mode=json_output, verbose=verbose, quiet=quiet)
    out = command.out
    with out.guard():
        from uku_xero_cli.store import open_company_store
        from uku_xero_cli.sync.clients_csv import import_clients_csv, read_clients_file
        from uku_xero_cli.sync.match_store import match_in_store

        # Check the file before a store is created for a company that may not exist yet.
        directory = command.surroundings.cwd
        read_clients_file(file, directory=directory)
        with (
            open_company_store(command.settings, command.company) as store,
            store.transaction(),
        ):
            imported = import_clients_csv(store, file, directory=directory)
            # Contacts already imported can be linked now, without waiting for a reload.
            matching = match_in_store(store)
    if out.json_mode:
        out.json({"company": command.company, **imported.to_json(), "matching": matching.to_json()})
        return
    counts = imported.counts
    out.info(
        f"Imported {imported.rows} clients from {file} into company '{command.company}': "
        f"{counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged."
    )
    if (matching.links or matching.ambiguities) and not out.quiet:
        from uku_xero_cli.cli.render.sync import matching_summary

        out.print(matching_summary(matching))
