"""What a command needs from its surroundings: output, settings, the company."""

from __future__ import annotations

from dataclasses import dataclass

from uku_xero_cli.cli.output import Output
from uku_xero_cli.settings import Settings, load_settings, resolve_company


@dataclass
class CommandContext:
    out: Output
    settings: Settings
    company: str


def command_context(
    company: str | None, *, json_mode: bool = False, verbose: bool = False, quiet: bool = False
) -> CommandContext:
    """Settings and company for a command; a bad config or company name exits cleanly."""
    out = Output(json_mode=json_mode, verbose=verbose, quiet=quiet)
    with out.guard():
        settings = load_settings()
        name = resolve_company(company, settings)
    return CommandContext(out, settings, name)
