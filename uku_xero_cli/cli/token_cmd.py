"""`uku-xero token`: the company's access token for curl, and nothing else."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def token(
    company: Company = None,
    tenant: Annotated[
        bool, typer.Option("--tenant", help="Print the organisation's tenant id instead.")
    ] = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Print a valid access token for the company's organisation, for curl.

    The token is refreshed first when it has under 5 minutes left. Anyone who sees it can act
    in Xero as the company until it expires (30 minutes after it was issued). The refresh
    token is never printed.

    Example:  TOKEN=$(uku-xero token -c acme)  TENANT=$(uku-xero token -c acme --tenant)

    Example:  curl -H "Authorization: Bearer $TOKEN" -H "xero-tenant-id: $TENANT" URL
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.connection.token import issue_token

        issued = issue_token(ctx.settings, ctx.company)
    out.emit(issued, "api:render_tenant" if tenant else "api:render_token")
