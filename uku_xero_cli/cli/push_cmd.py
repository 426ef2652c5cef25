"""`uku-xero push-invoice FILE...`: send Uku invoices to Xero."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Quiet, Verbose

if TYPE_CHECKING:
    from uku_xero_cli.sync.push.report import PushReport


def push_invoice(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Invoice JSON files (one invoice or a list each); - reads standard input.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Validate and show what would be sent; send nothing."),
    ] = False,
    draft: Annotated[
        bool, typer.Option("--draft", help="Create the invoices as DRAFT instead of AUTHORISED.")
    ] = False,
    no_create_contacts: Annotated[
        bool,
        typer.Option(
            "--no-create-contacts",
            help="Fail an invoice whose client has no Xero contact instead of creating one.",
        ),
    ] = False,
    company: Company = None,
    json_output: Json = False,
    verbose: Verbose = 0,
    quiet: Quiet = False,
) -> None:
    """Send Uku invoices to Xero: validated first, never twice.

    Every file is checked against the tax rates, currencies and items the last reload
    imported; one problem anywhere and nothing is sent. An invoice already in Xero unchanged
    is left alone; a changed one is updated while Xero still allows it (DRAFT, SUBMITTED, or
    AUTHORISED with no payment or credit note allocated). An invoice not yet confirmed in
    Xero is looked up by number first, so a rerun never creates it twice.

    Example:  uku-xero push-invoice -c acme invoices/*.json
    Example:  uku-xero push-invoice --dry-run --json - < UKU-2026-0042.json
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, quiet=quiet)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.sync.push.file import read_documents, read_input
        from uku_xero_cli.sync.push.job import PushOptions, push_invoices

        name = ctx.company  # a mistyped company is the first thing to hear about
        around = ctx.surroundings
        documents = read_documents(files, around.stdin_bytes(), directory=around.cwd)
        # Read whole, problems and all: they are reported with the reference data's.
        invoices = read_input(documents)
        options = PushOptions(draft=draft, create_contacts=not no_create_contacts, dry_run=dry_run)
        report = push_invoices(ctx.settings, name, invoices, options, warn=out.warn)
    out.emit(report, "invoices:push_view", to_json=_with_requests)


def _with_requests(report: PushReport) -> dict[str, Any]:
    """The report's document and, for a dry run, the requests it would send: each body as
    Xero would get it, numbers exact (the report's own amounts stay text)."""
    from uku_xero_cli.cli.output import Exact

    document = report.to_json()
    if report.dry_run:
        document["requests"] = [
            {"method": p.method, "path": f"/{p.path}", "body": Exact(p.body)}
            for p in report.planned
        ]
    return document
