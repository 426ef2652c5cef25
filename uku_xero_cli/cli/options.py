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
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="More detail on stderr (secrets redacted).")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")]
