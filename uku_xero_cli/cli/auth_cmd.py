"""`uku-xero auth`: connect a company to a Xero organisation."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.context import command_context
from uku_xero_cli.cli.options import Company, Json, NoInput, Verbose
from uku_xero_cli.cli.prompts import cannot_ask, organisation_chooser

# Where Python's webbrowser finds no graphical session it falls back to text browsers (lynx,
# w3m), which would take over the terminal while auth waits on it: there, no browser is opened.
_GRAPHICAL = ("DISPLAY", "WAYLAND_DISPLAY")


def open_browser(url: str) -> bool:
    """Open `url` in the user's browser: what `auth` uses unless its surroundings bring their
    own browser (the demo's stand-in). Tests replace it with a scripted browser.

    BrowserUnavailable when none can be opened: a machine without a graphical session and
    without BROWSER, or webbrowser finding no browser to run."""
    import sys
    import webbrowser

    from uku_xero_cli.cli.surroundings import current_surroundings
    from uku_xero_cli.connection.connect import BrowserUnavailable

    environ = current_surroundings().environ
    unix_desktop = not sys.platform.startswith(("darwin", "win", "cygwin"))
    if unix_desktop and not environ.get("BROWSER") and not any(environ.get(v) for v in _GRAPHICAL):
        raise BrowserUnavailable(
            "no graphical session here (DISPLAY and WAYLAND_DISPLAY are unset) and BROWSER is unset"
        )
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error as exc:
        raise BrowserUnavailable(f"webbrowser: {exc}") from None
    if not opened:
        raise BrowserUnavailable("Python's webbrowser found no browser to run; BROWSER names one")
    return True


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
            help="Print the sign-in URL instead of opening a browser (for SSH sessions). In "
            "either mode the final redirect URL may be pasted here.",
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
    no_input: NoInput = False,
    json_output: Json = False,
    verbose: Verbose = 0,
) -> None:
    """Sign in at Xero in the browser and connect the company to an organisation.

    Running it again for a connected company reconnects with fresh tokens. Where no browser
    can be opened the URL is printed, and at a terminal the address the browser ends on may
    be pasted.

    Example:  uku-xero auth -c acme            (several organisations: --tenant "Acme Ltd")
    """
    ctx = command_context(
        company, json_output=json_output, verbose=verbose, creates_company=True, no_input=no_input
    )
    out = ctx.out
    with out.guard():
        from uku_xero_cli.connection.connect import Browser, authorize
        from uku_xero_cli.tokens import TokenStore

        browser = ctx.surroundings.browser or Browser(open_browser)
        stdin = ctx.surroundings.stdin
        outcome = authorize(
            ctx.settings,
            ctx.company,
            port=port,
            timeout=timeout,
            scopes=scopes,
            browser=None if no_browser else browser,
            # A person at a terminal may paste the redirect whether or not a browser opened;
            # --no-browser reads a paste from a pipe too.
            paste=stdin if no_browser or stdin.isatty() else None,
            tenant=tenant,
            choose=organisation_chooser(out)
            if out.interactive
            else cannot_ask(
                "this Xero login reaches several organisations, and which one cannot be asked "
                f"here ({out.why_no_questions()}): nothing was stored"
            ),
            notify=out.info,
            store=TokenStore(ctx.settings, warn=out.warn),
        )
    out.emit(outcome, "connection:render_auth")
