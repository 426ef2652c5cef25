"""`uku-xero companies`: every configured company and the state of its connection."""

from __future__ import annotations

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose


def companies(company: Company = None, json_output: Json = False, verbose: Verbose = 0) -> None:
    """List the companies with a Xero connection or Uku-side data, from local files only.

    The default company is marked; --company marks the one named as current.

    Example:  uku-xero companies --json
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.cli.output import EveryCompany
        from uku_xero_cli.connection.status import companies as list_companies
        from uku_xero_cli.settings import resolve_company
        from uku_xero_cli.tokens import TokenStore

        found = list_companies(
            ctx.settings,
            resolve_company(None, ctx.settings),
            current=ctx.company,
            store=TokenStore(ctx.settings, warn=out.warn),
        )
        if company and not any(c.current for c in found):
            out.info(
                f"company '{ctx.company}' has no token file or Uku-side data yet: connect it "
                f"with `uku-xero auth -c {ctx.company}`"
            )
    out.emit(EveryCompany(found), "connection:render_companies")
