"""`uku-xero doctor`: every check a support engineer runs on a company."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def doctor(
    company: Company = None,
    all_companies: Annotated[bool, typer.Option("--all", help="Every configured company.")] = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Check a company's set-up end to end; each failed check names the command that fixes it.

    Config (client id, app type, redirect URI and port), file permissions, the token file and
    the refresh token's age, one token refresh, the organisation's connection, the clock
    against Xero's, granted scopes, today's rate-limit headroom, the store, the last reload of
    each data set and the locks. Read-only at Xero except for that one refresh. Exit code as
    `status`: 0 when nothing failed (warnings allowed), else the worst failed check's.

    Example:  uku-xero doctor -c acme      uku-xero doctor --all --json
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.output import EveryCompany
        from uku_xero_cli.connection.doctor import diagnose
        from uku_xero_cli.connection.status import configured_companies
        from uku_xero_cli.errors import UsageError

        if all_companies and company:
            raise UsageError("use either --company or --all, not both")
        names = configured_companies(ctx.settings) if all_companies else [ctx.company]
        reports = [diagnose(ctx.settings, name) for name in names]
    if all_companies:
        out.emit(EveryCompany(reports), "doctor:render_doctor_all")
    else:
        out.emit(reports[0], "doctor:render_doctor")
