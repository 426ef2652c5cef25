"""`uku-xero companies`: every configured company and the state of its connection;
`companies remove NAME [--org TENANT]` and `companies rename OLD NEW`."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose
from uku_xero_cli.command_lines import command_line

companies_app = typer.Typer(
    help="List the companies with a Xero connection or Uku-side data, from local files only.",
    no_args_is_help=False,
    rich_markup_mode=None,
)

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@companies_app.callback(invoke_without_command=True)
def companies(
    ctx: typer.Context, company: Company = None, json_output: Json = False, verbose: Verbose = 0
) -> None:
    """List the companies with a Xero connection or Uku-side data, from local files only.

    Shows who shares a Xero login or connection, and the data kept of organisations that are
    not current. The default company is marked; --company marks the one named as current.

    Example:  uku-xero companies --json      uku-xero companies remove old-test --yes
    """
    if ctx.invoked_subcommand is not None:
        return
    command = command_context(company, json_output=json_output, verbose=verbose)
    out = command.out
    with out.guard():
        from uku_xero_cli.cli.output import EveryCompany
        from uku_xero_cli.connection.known import close_names, did_you_mean
        from uku_xero_cli.connection.status import companies as list_companies
        from uku_xero_cli.connection.status import configured_companies
        from uku_xero_cli.settings import default_company
        from uku_xero_cli.tokens import TokenStore

        known = configured_companies(command.settings)
        # Several companies and none the default: none is marked, and that is no error here.
        default = default_company(command.settings, command.surroundings.environ, known)
        found = list_companies(
            command.settings,
            default,
            current=company,
            store=TokenStore(command.settings, warn=out.warn),
        )
        if company and not any(c.current for c in found):
            connect = f"connect it with `uku-xero auth -c {company}`"
            guess = did_you_mean(close_names(company, known))
            out.info(
                f"company '{company}' has no token file or Uku-side data yet"
                + (f"{guess} Or {connect}" if guess else f": {connect}")
            )
    out.emit(EveryCompany(found), "connection:render_companies")


@companies_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The company to forget.", show_default=False)],
    org: Annotated[
        str | None,
        typer.Option(
            "--org",
            help="Only the data of this organisation (tenant id or name), kept from before.",
            show_default=False,
        ),
    ] = None,
    yes: Yes = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Forget a company that is not connected: token file, stores and lock files.

    With --org, only the data kept of one organisation it no longer works with. Asks before
    deleting data on a terminal; elsewhere --yes is required.

    Example:  uku-xero companies remove old-test --yes
              uku-xero companies remove acme --org "Old Ltd" --yes
    """
    command = command_context(name, json_output=json_output, verbose=verbose)
    out = command.out
    with out.guard():
        from uku_xero_cli.cli.prompts import confirm_or_require_yes
        from uku_xero_cli.connection.lifecycle import plan_removal
        from uku_xero_cli.connection.lifecycle import remove as run_removal

        plan = plan_removal(command.settings, command.company, organisation=org)
        if plan.stores and not yes:
            confirm_or_require_yes(
                out,
                plan.question(),
                asking="companies remove",
                with_yes=command_line(
                    "companies remove",
                    None,
                    command.company,
                    *(["--org", org] if org else []),
                    "--yes",
                ),
            )
        removed = run_removal(command.settings, plan)
    out.emit(removed, "connection:render_removal")


@companies_app.command("rename")
def rename(
    old: Annotated[str, typer.Argument(help="The company's name now.", show_default=False)],
    new: Annotated[str, typer.Argument(help="Its new name.", show_default=False)],
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Give a company another name: its token file, stores and locks move with it.

    Refused when a company of the new name exists. A connected company stays connected.

    Example:  uku-xero companies rename acme acme-ltd
    """
    command = command_context(old, json_output=json_output, verbose=verbose)
    out = command.out
    with out.guard():
        from uku_xero_cli.connection.lifecycle import rename_company
        from uku_xero_cli.settings import validate_company

        renamed = rename_company(command.settings, command.company, validate_company(new))
    out.emit(renamed, "connection:render_renaming")
