"""`uku-xero push-invoice FILE...`: send Uku invoices to Xero."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Quiet, Verbose

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.errors import UkuXeroError
    from uku_xero_cli.sync.invoices import PushReport


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
    verbose: Verbose = False,
    quiet: Quiet = False,
) -> None:
    """Send Uku invoices to Xero: validated first, never twice.

    Every file is checked against the tax rates, currencies and items the last reload
    imported; one problem anywhere and nothing is sent. An invoice already in Xero unchanged
    is left alone; a changed one is updated only while Xero still allows it (DRAFT,
    SUBMITTED).

    Example:  uku-xero push-invoice -c acme invoices/*.json
    Example:  uku-xero push-invoice --dry-run --json - < UKU-2026-0042.json
    """
    ctx = command_context(company, json_mode=json_output, verbose=verbose, quiet=quiet)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.sync.invoice_file import parse_documents, read_documents
        from uku_xero_cli.sync.invoices import PushOptions, push_invoices

        around = ctx.surroundings
        documents = read_documents(files, around.stdin_bytes(), directory=around.cwd)
        invoices = parse_documents(documents)
        options = PushOptions(draft=draft, create_contacts=not no_create_contacts, dry_run=dry_run)
        report = push_invoices(ctx.settings, ctx.company, invoices, options, warn=out.warn)
    error = report.outcome_error()
    if out.json_mode:
        _print_json(out, report, error)
    else:
        _print_human(out, report, error)
    if error is not None:
        from uku_xero_cli.cli.exit_codes import exit_code_for

        raise typer.Exit(int(exit_code_for(error)))


def _error_json(error: UkuXeroError) -> dict[str, Any]:
    from uku_xero_cli.redact import redact

    found: dict[str, Any] = {"code": error.code, "message": redact(error.message)}
    if error.hint:
        found["hint"] = redact(error.hint)
    failures = getattr(error, "failures", None)
    if failures:
        found["failures"] = [{"item": f.item, "reasons": f.reasons} for f in failures]
    retry_at = getattr(error, "retry_at", None)
    if retry_at is not None:
        found["retry_at"] = retry_at.isoformat()
    return found


def _print_json(out: Output, report: PushReport, error: UkuXeroError | None) -> None:
    import json

    from uku_xero_cli.cli.output import dumps
    from uku_xero_cli.sync.invoice_payload import encode_json

    # Amounts in the summary are text, as everywhere in --json; the request bodies of a dry
    # run are Xero's JSON exactly as it would be sent, numbers and all.
    document: dict[str, Any] = json.loads(dumps(report.to_json()))
    if report.dry_run:
        document["requests"] = [
            {"method": p.method, "path": f"/{p.path}", "body": p.body} for p in report.planned
        ]
    if error is not None:
        document["error"] = _error_json(error)
    stdout = out.surroundings.stdout
    stdout.write(encode_json(document, indent=2) + "\n")
    stdout.flush()


def _print_human(out: Output, report: PushReport, error: UkuXeroError | None) -> None:
    from uku_xero_cli.cli.render.invoices import push_summary, push_table
    from uku_xero_cli.redact import redact

    if report.results and not out.quiet:
        out.print(push_table(report))
    out.info(push_summary(report))
    if error is not None:
        message = f"error: {redact(error.message)}"
        if error.hint:
            message += f"\n{redact(error.hint)}"
        out.stderr.print(message, markup=False, soft_wrap=True)
