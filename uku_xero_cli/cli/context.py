"""What a command needs from its surroundings: output, settings, the company.

Imported by every command module at start-up, so it imports the rest lazily: `--help`
should not pay for settings, Rich or the error machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.settings import Settings


@dataclass
class CommandContext:
    out: Output
    settings: Settings
    company: str


def command_context(
    company: str | None, *, json_output: bool = False, verbose: bool = False, quiet: bool = False
) -> CommandContext:
    """Settings and company for a command; a bad config or company name exits cleanly."""
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.settings import load_settings, resolve_company

    out = Output(json_mode=json_output, verbose=verbose, quiet=quiet)
    with out.guard():
        settings = load_settings()
        name = resolve_company(company, settings)
    return CommandContext(out, settings, name)
