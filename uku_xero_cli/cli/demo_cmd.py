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

    auth (one of two organisations, picked with --tenant), orgs, clients import, reload,
    clients, stats, push-invoice of two sample invoices, payments recorded in "Xero",
    check-paid, status and disconnect: each command line is printed with its real output
    (its messages included, on stdout). Nothing outside a temporary directory is touched, and
    no real Xero account or browser is needed.

    Example:  uku-xero demo            uku-xero demo --keep --json
    """
    from uku_xero_cli.cli.output import Output

    out = Output(json_mode=json_output)
    with out.guard():
        # The demo runs each step through the CLI's own entry point, handed over here so
        # that the demo module itself needs nothing of the app that registers it.
        from uku_xero_cli.cli.app import main
        from uku_xero_cli.cli.demo import emulator_consent, run_demo

        report = run_demo(
            main, emulator_consent(), out.surroundings, keep=keep, transcript=not json_output
        )
    out.emit(report, "demo:demo_view")
