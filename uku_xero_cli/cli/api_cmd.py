"""`uku-xero api PATH`: one call to Xero's API as the company, Xero's answer as it came."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, NoInput, Verbose
from uku_xero_cli.xero.raw import METHODS

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import Output


def api(
    path: Annotated[
        str,
        typer.Argument(
            help="Path under the accounting API (/api.xro/2.0/ optional), with a query if "
            "wanted: Invoices/UKU-2026-0042, 'Contacts?where=ContactStatus==\"ARCHIVED\"'.",
            show_default=False,
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method",
            "-X",
            help="GET, or a write: POST, PUT, DELETE.",
            autocompletion=lambda: list(METHODS),
        ),
    ] = "GET",
    fields: Annotated[
        list[str] | None,
        typer.Option(
            "--field", "-f", help="A query field key=value (repeatable).", show_default=False
        ),
    ] = None,
    headers: Annotated[
        list[str] | None,
        typer.Option(
            "--header", "-H", help="A header 'Name: value' (repeatable).", show_default=False
        ),
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="The request body: a JSON file, or - for standard input.",
            show_default=False,
        ),
    ] = None,
    paginate: Annotated[
        bool,
        typer.Option("--paginate", help="Read every page and print one merged list."),
    ] = False,
    page_size: Annotated[
        int | None,
        typer.Option(
            "--page-size",
            help="Records a page with --paginate (1-1000; default 1000).",
            show_default=False,
        ),
    ] = None,
    include: Annotated[
        bool,
        typer.Option(
            "--include", "-i", help="Print the status and headers with the body (one document)."
        ),
    ] = False,
    identity: Annotated[
        bool,
        typer.Option("--identity", help="PATH is under the identity API instead (connections)."),
    ] = False,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            help="The Idempotency-Key of a write (default: a new one); the same key again "
            "within minutes gets Xero's first answer.",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send a write without asking.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the request (token masked) instead of sending it."),
    ] = False,
    company: Company = None,
    no_input: NoInput = False,
    verbose: Verbose = 0,
) -> None:
    """Call Xero's API as the company and print Xero's answer: gh api for Xero.

    The request goes out like every other: a fresh token, the organisation's tenant header,
    pacing, retries on 429 and 5xx. Xero's JSON body is printed indented at a terminal and on
    one line elsewhere; an error answer is printed too, and the exit code says what it was (1;
    4 when the token is refused; 5 at the daily limit). Writes (POST, PUT, DELETE) ask first
    at a terminal and need --yes elsewhere.

    Example:  uku-xero api -c acme Invoices/UKU-2026-0042

    Example:  uku-xero api -c acme 'Contacts?where=ContactStatus=="ARCHIVED"' --paginate

    Example:  uku-xero api -c acme -X PUT Invoices --input invoice.json --yes
    """
    ctx = command_context(company, verbose=verbose, no_input=no_input)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.connection.api import CompanyApi, read_input
        from uku_xero_cli.xero.raw import raw_request

        around = ctx.surroundings
        body, label = (
            (None, "--input")
            if input_file is None
            else read_input(input_file, stdin=around.stdin_bytes, directory=around.cwd)
        )
        request = raw_request(
            method,
            path,
            ctx.settings.endpoints,
            fields=fields or (),
            headers=headers or (),
            body=body,
            body_label=label,
            identity=identity,
            paginate=paginate,
            page_size=page_size,
            idempotency_key=idempotency_key,
        )
        company_api = CompanyApi(ctx.settings, ctx.company)
        if dry_run:
            planned = company_api.plan(request)
        else:
            if request.writes and not yes:
                _confirm_write(
                    ctx.out,
                    f"{request.method} {request.path}",
                    ctx.company,
                    company_api.organisation,
                )
            answer = company_api.send(request)
    if dry_run:
        out.emit(planned, "api:render_planned")
    else:
        out.emit(answer, "api:render_included" if include else "api:render_body")


def _confirm_write(out: Output, what: str, company: str, organisation: str) -> None:
    from uku_xero_cli.cli.exit_codes import ExitCode
    from uku_xero_cli.cli.prompts import confirm
    from uku_xero_cli.errors import UsageError

    if not out.interactive:
        raise UsageError(
            f"{what} changes data in Xero and is asked about at a terminal, which cannot "
            f"happen here ({out.why_no_questions()}); pass --yes",
            hint="--dry-run prints the request without sending it",
        )
    if not confirm(out, f"Send {what} to {organisation} as company '{company}'?"):
        out.info("Nothing was sent.")
        raise typer.Exit(ExitCode.ERROR)
