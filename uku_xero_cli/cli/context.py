"""What a command needs from its surroundings: output, settings, the company, and the
surroundings themselves (environment, working directory, streams, browser).

Imported by every command module at start-up, so it imports the rest lazily: `--help`
should not pay for settings, Rich or the error machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.cli.surroundings import Surroundings
    from uku_xero_cli.settings import Settings


@dataclass
class CommandContext:
    out: Output
    settings: Settings
    company: str
    surroundings: Surroundings


def command_context(
    company: str | None, *, json_output: bool = False, verbose: bool = False, quiet: bool = False
) -> CommandContext:
    """Settings and company for a command; a bad config or company name exits cleanly."""
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.cli.surroundings import current_surroundings
    from uku_xero_cli.settings import load_settings, resolve_company

    surroundings = current_surroundings()
    out = Output(json_mode=json_output, verbose=verbose, quiet=quiet, surroundings=surroundings)
    with out.guard():
        settings = load_settings(surroundings.environ)
        name = resolve_company(company, settings, surroundings.environ)
    return CommandContext(out, settings, name, surroundings)
