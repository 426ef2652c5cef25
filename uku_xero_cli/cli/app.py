"""The Typer application: registers every command. Command modules import heavy things lazily."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Annotated

import typer

from uku_xero_cli import __version__
from uku_xero_cli.cli.auth_cmd import auth
from uku_xero_cli.cli.clients_cmd import clients_app
from uku_xero_cli.cli.companies_cmd import companies
from uku_xero_cli.cli.demo_cmd import demo
from uku_xero_cli.cli.disconnect_cmd import disconnect
from uku_xero_cli.cli.orgs_cmd import orgs
from uku_xero_cli.cli.paid_cmd import check_paid
from uku_xero_cli.cli.push_cmd import push_invoice
from uku_xero_cli.cli.reload_cmd import reload
from uku_xero_cli.cli.sandbox_cmd import sandbox
from uku_xero_cli.cli.stats_cmd import stats
from uku_xero_cli.cli.status_cmd import status

if TYPE_CHECKING:
    from uku_xero_cli.cli.surroundings import Surroundings

app = typer.Typer(
    name="uku-xero",
    help="Administer Uku's Xero integration: connect companies, import data, push invoices.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"uku-xero {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Administer Uku's Xero integration: connect companies, import data, push invoices."""


app.command("auth")(auth)
app.command("orgs")(orgs)
app.command("status")(status)
app.command("disconnect")(disconnect)
app.command("companies")(companies)
app.command("reload")(reload)
app.command("push-invoice")(push_invoice)
app.command("check-paid")(check_paid)
app.add_typer(clients_app, name="clients")
app.command("stats")(stats)
app.command("sandbox")(sandbox)
app.command("demo")(demo)


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
        if "--json" in args:
            from uku_xero_cli.cli.output import dumps

            document = {"error": {"code": "usage", "message": exc.format_message()}}
            print(dumps(document), file=stdout)
        show = getattr(exc, "show", None)
        if show is not None:
            show(file=stderr)
        else:
            print(f"error: {exc.format_message()}", file=stderr)
        return exc.exit_code
    except typer.Abort:
        print("Aborted.", file=stderr)
        return 130
    return result if isinstance(result, int) else 0


def _surrounded_by(surroundings: Surroundings | None) -> AbstractContextManager[None]:
    # Without surroundings of its own a run uses the process's, which commands find by
    # default; not importing them here keeps `--help` quick.
    if surroundings is None:
        return nullcontext()
    from uku_xero_cli.cli.surroundings import surrounded_by

    return surrounded_by(surroundings)
