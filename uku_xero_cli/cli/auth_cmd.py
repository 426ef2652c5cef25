"""`uku-xero auth`: connect a company to a Xero organisation."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, Verbose
from uku_xero_cli.cli.prompts import organisation_chooser


def open_browser(url: str) -> bool:
    """Open `url` in the user's browser: what `auth` uses unless its surroundings bring their
    own browser (the demo's stand-in). Tests replace it with a scripted browser."""
    import webbrowser

    return webbrowser.open(url)


def auth(
    company: Company = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Loopback port of the redirect http://localhost:PORT/callback "
            "(default: $UKU_XERO_REDIRECT_PORT, redirect_port in config.toml, then 8763).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the browser sign-in.", min=1)
    ] = 300.0,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser",
            help="Print the sign-in URL instead of opening a browser; the final redirect URL "
            "may then be pasted here (for SSH sessions).",
        ),
    ] = False,
    tenant: Annotated[
        str | None,
        typer.Option(help="Organisation to connect (tenant id or name) when there are several."),
    ] = None,
    scopes: Annotated[
        str | None,
        typer.Option(
            help="Space-separated OAuth scopes, or `broad` for an app still on "
            "accounting.transactions (default: `granular`; config `scopes`).",
            show_default=False,
        ),
    ] = None,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Sign in at Xero in the browser and connect the company to an organisation.

    Running it again for a connected company reconnects with fresh tokens.

    Example:  uku-xero auth -c acme            (several organisations: --tenant "Acme Ltd")
    """
    ctx = command_context(company, json_output=json_output, verbose=verbose, creates_company=True)
    out = ctx.out
    with out.guard():
        from uku_xero_cli.connection.connect import Browser, authorize
        from uku_xero_cli.tokens import TokenStore

        browser = ctx.surroundings.browser or Browser(open_browser)
        outcome = authorize(
            ctx.settings,
            ctx.company,
            port=port,
            timeout=timeout,
            scopes=scopes,
            browser=None if no_browser else browser,
            paste=ctx.surroundings.stdin if no_browser else None,
            tenant=tenant,
            choose=organisation_chooser(out) if out.interactive else None,
            notify=out.info,
            store=TokenStore(ctx.settings, warn=out.warn),
        )
    out.emit(outcome, "connection:render_auth")
