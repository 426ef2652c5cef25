"""`uku-xero accounts`: Xero's chart of accounts as the last reload imported it."""

from __future__ import annotations

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def accounts(company: Company = None, json_output: Json = False, verbose: Verbose = 0) -> None:
    """Xero's chart of accounts as imported: code, name, type, tax type and status.

    push-invoice accepts only the ACTIVE account codes listed here.

    Example:  uku-xero accounts -c acme --json
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.sync.datasets import ACCOUNTS
        from uku_xero_cli.sync.listing import stored_listing

        found = stored_listing(ctx.settings, ctx.company, ACCOUNTS)
    out.emit(found, "sync:listing_view")
