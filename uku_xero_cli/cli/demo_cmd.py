"""`uku-xero demo`: the whole flow end to end against the built-in emulator."""

from __future__ import annotations

from typing import Annotated

import typer

from uku_xero_cli.cli.options import Json


def demo(
    keep: Annotated[
        bool,
        typer.Option("--keep", help="Keep the throw-away config and data directory; say where."),
    ] = False,
    json_output: Json = False,
) -> None:
    """Run the whole flow on the built-in Xero emulator, in a throw-away config and data dir.

    auth (picking one of two organisations), orgs, reload, clients, stats, push-invoice of two
    sample invoices, a payment recorded in "Xero", check-paid, status and disconnect: each
    command line is printed with its real output. Nothing outside a temporary directory is
    touched, and no real Xero account or browser is needed.

    Example:  uku-xero demo            uku-xero demo --keep --json
    """
    from uku_xero_cli.cli.output import Output

    out = Output(json_mode=json_output)
    with out.guard():
        from uku_xero_cli.demo import run_demo

        def echo(line: str) -> None:
            print(line, flush=True)

        report = run_demo(keep=keep, echo=None if json_output else echo)
    out.emit(report, "demo:demo_view")
