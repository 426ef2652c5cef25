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
        from uku_xero_cli.connection.known import close_names, did_you_mean
        from uku_xero_cli.connection.status import companies as list_companies
        from uku_xero_cli.connection.status import configured_companies
        from uku_xero_cli.settings import default_company
        from uku_xero_cli.tokens import TokenStore

        known = configured_companies(ctx.settings)
        # Several companies and none the default: none is marked, and that is no error here.
        default = default_company(ctx.settings, ctx.surroundings.environ, known)
        found = list_companies(
            ctx.settings,
            default,
            current=company,
            store=TokenStore(ctx.settings, warn=out.warn),
        )
        if company and not any(c.current for c in found):
            connect = f"connect it with `uku-xero auth -c {company}`"
            guess = did_you_mean(close_names(company, known))
            out.info(
                f"company '{company}' has no token file or Uku-side data yet"
                + (f"{guess} Or {connect}" if guess else f": {connect}")
            )
    out.emit(EveryCompany(found), "connection:render_companies")
