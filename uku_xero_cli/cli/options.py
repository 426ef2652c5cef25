"""Options every command shares, defined once."""

from __future__ import annotations

from typing import Annotated

import typer

Company = Annotated[
    str | None,
    typer.Option(
        "--company",
        "-c",
        help="Uku company (default: $UKU_XERO_COMPANY, then default_company in config.toml, "
        "then 'default').",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
# Counted: -v traces every HTTP exchange, token refresh and wait on stderr; -vv adds headers
# and bodies (secrets redacted at every level).
Verbose = Annotated[
    int,
    typer.Option(
        "--verbose",
        "-v",
        count=True,
        help="Trace every HTTP exchange, token refresh and wait on stderr; -vv adds headers "
        "and bodies (secrets redacted).",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")]
NoInput = Annotated[
    bool,
    typer.Option(
        "--no-input",
        help="Never ask at the terminal: what a question would settle must come from an "
        "option (also UKU_XERO_NO_INPUT=1).",
    ),
]
