"""The Typer application: the table of commands and the console entry point.

Commands are registered in `COMMANDS` and imported only when used (cli/lazy_group.py): adding
one is one line here, and `uku-xero --help` stays as quick as importing Typer.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Annotated

import typer

from uku_xero_cli import __version__
from uku_xero_cli.cli.lazy_group import LazyCommand, LazyGroup

# name → "module:attribute" under uku_xero_cli.cli, and the first paragraph of its help (the
# root --help lists it; tests/test_output.py checks it against the command's own help).
COMMANDS = {
    "auth": LazyCommand(
        "auth_cmd:auth",
        "Sign in at Xero in the browser and connect the company to an organisation.",
    ),
    "orgs": LazyCommand(
        "orgs_cmd:orgs",
        "List the organisations the company's Xero sign-in reaches; the current one is marked.",
    ),
    "status": LazyCommand(
        "status_cmd:status",
        "Show the company's Xero connection: organisation, token expiry, scopes, state.",
    ),
    "disconnect": LazyCommand(
        "disconnect_cmd:disconnect",
        "End the company's Xero connection: what only it uses at Xero, and its local tokens.",
    ),
    "doctor": LazyCommand(
        "doctor_cmd:doctor",
        "Check a company's set-up end to end; each failed check names the command that fixes it.",
    ),
    "companies": LazyCommand(
        "companies_cmd:companies_app",
        "List the companies with a Xero connection or Uku-side data, from local files only.",
    ),
    "reload": LazyCommand(
        "reload_cmd:reload",
        "Import the company's Xero data (the data sets of --only) and its work statistics.",
    ),
    "push-invoice": LazyCommand(
        "push_cmd:push_invoice", "Send Uku invoices to Xero: validated first, never twice."
    ),
    "check-paid": LazyCommand(
        "paid_cmd:check_paid",
        "Read back what Xero says about pushed invoices: status, paid, due, payments.",
    ),
    "stats": LazyCommand(
        "stats_cmd:stats",
        "Monthly work statistics: sales invoices, bills, credit notes, bank transactions and "
        "manual journals per calendar month, as imported by the last reload.",
    ),
    "accounts": LazyCommand(
        "accounts_cmd:accounts",
        "Xero's chart of accounts as imported: code, name, type, tax type and status.",
    ),
    "api": LazyCommand(
        "api_cmd:api",
        "Call Xero's API as the company and print Xero's answer: gh api for Xero.",
    ),
    "token": LazyCommand(
        "token_cmd:token", "Print a valid access token for the company's organisation, for curl."
    ),
    "sandbox": LazyCommand(
        "sandbox_cmd:sandbox",
        "Serve the built-in Xero emulator and print the variables that point uku-xero at it.",
    ),
    "demo": LazyCommand(
        "demo_cmd:demo",
        "Run the whole flow on the built-in Xero emulator, in a throw-away config and data dir.",
    ),
    "clients": LazyCommand(
        "clients_cmd:clients_app",
        "Uku's client list with its Integration column (the linked Xero contact).",
    ),
}


class Commands(LazyGroup):
    table = COMMANDS


if TYPE_CHECKING:
    from uku_xero_cli.cli.surroundings import Surroundings

app = typer.Typer(
    name="uku-xero",
    cls=Commands,
    help="Administer Uku's Xero integration: connect companies, import data, push invoices.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from uku_xero_cli.cli.exit_codes import ExitCode

        print(f"uku-xero {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Administer Uku's Xero integration: connect companies, import data, push invoices."""


def main(argv: list[str] | None = None, surroundings: Surroundings | None = None) -> int:
    """Console entry point: exit codes follow the README's table, also for usage errors.

    `surroundings` (default: the process's own) is the environment, working directory,
    streams and browser the commands use; the demo runs every step with its own.
    """
    args = sys.argv[1:] if argv is None else argv
    stdout = sys.stdout if surroundings is None else surroundings.stdout
    stderr = sys.stderr if surroundings is None else surroundings.stderr
    try:
        with _surrounded_by(surroundings):
            result = app(args=args, prog_name="uku-xero", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:
        from uku_xero_cli.cli.output import usage_failure

        return usage_failure(exc, json_requested="--json" in args, stdout=stdout, stderr=stderr)
    except typer.Abort:
        from uku_xero_cli.cli.exit_codes import ExitCode

        print("Aborted.", file=stderr)
        return int(ExitCode.INTERRUPTED)
    return result if isinstance(result, int) else 0


def _surrounded_by(surroundings: Surroundings | None) -> AbstractContextManager[None]:
    # Without surroundings of its own a run uses the process's, which commands find by
    # default; not importing them here keeps `--help` quick.
    if surroundings is None:
        return nullcontext()
    from uku_xero_cli.cli.surroundings import surrounded_by

    return surrounded_by(surroundings)
