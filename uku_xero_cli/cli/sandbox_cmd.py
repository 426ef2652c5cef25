"""`uku-xero sandbox`: serve the built-in Xero emulator on loopback."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from uku_xero_cli.errors import UsageError


class Mismatch(StrEnum):
    """How a kept Idempotency-Key meets another body (sandbox/books/replay.py MISMATCH_MODES)."""

    replay = "replay"
    process = "process"


class Consent(StrEnum):
    """How the authorize endpoint answers (sandbox/control.py CONSENT_MODES)."""

    auto = "auto"
    deny = "deny"
    page = "page"


def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback only).")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on; 0 picks a free one.")
    ] = 8764,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 1,
    orgs: Annotated[int, typer.Option(help="Organisations to generate.")] = 2,
    contacts: Annotated[int, typer.Option(help="Contacts per organisation.")] = 200,
    items: Annotated[int, typer.Option(help="Items per organisation.")] = 40,
    invoices: Annotated[int, typer.Option(help="Invoices per organisation.")] = 600,
    strict: Annotated[
        bool, typer.Option(help="Reject requests that do not fit Xero's OpenAPI spec.")
    ] = False,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(help="Redirect URI registered for the sandbox apps (repeatable)."),
    ] = None,
    minute_limit: Annotated[int, typer.Option(min=1, help="Calls a minute per tenant.")] = 60,
    day_limit: Annotated[int, typer.Option(min=1, help="Calls a day per tenant.")] = 5000,
    concurrent_limit: Annotated[
        int, typer.Option(min=1, help="Calls in flight at once per tenant.")
    ] = 5,
    app_minute_limit: Annotated[
        int, typer.Option(min=1, help="Calls a minute per app, across tenants.")
    ] = 10000,
    latency: Annotated[float, typer.Option(min=0.0, help="Seconds added to every answer.")] = 0.0,
    error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of calls answered 500/503 (0-1).")
    ] = 0.0,
    ignore_page_size: Annotated[
        bool, typer.Option(help="Answer 100 a page whatever pageSize asks, as some servers do.")
    ] = False,
    max_query_length: Annotated[
        int, typer.Option(min=1, help="Longest query string served; past it Xero's 404.")
    ] = 2048,
    id_filters_carry_lines: Annotated[
        bool, typer.Option(help="Let unpaged IDs=/InvoiceNumbers= reads carry lines.")
    ] = False,
    idempotency_ttl: Annotated[
        float, typer.Option(min=1.0, help="Seconds an Idempotency-Key is remembered.")
    ] = 300.0,
    idempotency_mismatch: Annotated[
        Mismatch,
        typer.Option(help="A kept key with another body: replay the first answer, or process."),
    ] = Mismatch.replay,
    users: Annotated[int, typer.Option(min=1, help="Xero logins to generate.")] = 1,
    revoke_ends_other_sign_ins: Annotated[
        bool, typer.Option(help="Revoking ends the user's other sign-ins' tokens too.")
    ] = True,
    secret: Annotated[
        bool, typer.Option(help="Print the confidential app's id and secret instead of PKCE's.")
    ] = False,
    consent: Annotated[
        Consent,
        typer.Option(
            help="Log-in consent: auto (every organisation), deny (access_denied), or page "
            "(an HTML page where a person ticks organisations)."
        ),
    ] = Consent.auto,
) -> None:
    """Serve the built-in Xero emulator and print the variables that point uku-xero at it.

    Example:  uku-xero sandbox --port 8764 > sandbox.env &  then  . ./sandbox.env
    or:       uku-xero sandbox --strict --contacts 25000 --consent page
    """
    from uku_xero_cli.cli.output import Output

    out = Output()
    with out.guard():
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise UsageError(f"--host {host}: the sandbox serves loopback only (127.0.0.1, ::1)")
        from uku_xero_cli.sandbox import config as sandbox_config
        from uku_xero_cli.sandbox import environment
        from uku_xero_cli.sandbox.app import Sandbox
        from uku_xero_cli.sandbox.server import make

        config = sandbox_config.SandboxConfig(
            seed=seed,
            orgs=orgs,
            contacts=contacts,
            items=items,
            invoices=invoices,
            strict=strict,
            minute_limit=minute_limit,
            day_limit=day_limit,
            concurrent_limit=concurrent_limit,
            app_minute_limit=app_minute_limit,
            latency=latency,
            error_rate=error_rate,
            ignore_page_size=ignore_page_size,
            max_query_length=max_query_length,
            id_filters_carry_lines=id_filters_carry_lines,
            idempotency_ttl=idempotency_ttl,
            idempotency_mismatch=idempotency_mismatch.value,
            users=users,
            revoke_ends_other_sign_ins=revoke_ends_other_sign_ins,
            consent=consent.value,
        )
        if redirect_uri:
            config.redirect_uris = list(redirect_uri)
        app = Sandbox(config)
        try:
            running = make(app, host, port)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror}); "
                "choose another with --port, or --port 0 for any free one"
            ) from None
        client_id = sandbox_config.PUBLIC_CLIENT_ID
        variables = environment(running.url, client_id)
        if secret:
            variables["XERO_CLIENT_ID"] = sandbox_config.CONFIDENTIAL_CLIENT_ID
            variables["XERO_CLIENT_SECRET"] = sandbox_config.CONFIDENTIAL_CLIENT_SECRET
        for name, value in variables.items():
            print(f"export {name}={value}", flush=True)
        out.info(
            f"Xero sandbox on {running.url} ({orgs} organisations, seed {seed}"
            f"{', strict' if strict else ''}"
            f"{'' if consent is Consent.auto else ', consent ' + consent.value}); "
            f"admin API at {running.url}/_sandbox/. "
            "Ctrl-C stops it."
        )
        try:
            running._server.serve_forever()
        except KeyboardInterrupt:
            out.info("sandbox stopped")
        finally:
            running._server.server_close()
