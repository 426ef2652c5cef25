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
    from uku_xero_cli.trace import Trace

# -vv and beyond show headers and bodies (trace.BODIES; not imported here for --help's sake).
BODIES = 2


@dataclass
class CommandContext:
    out: Output
    settings: Settings
    company: str
    surroundings: Surroundings


def command_context(
    company: str | None,
    *,
    json_output: bool = False,
    verbose: int = 0,
    quiet: bool = False,
    no_input: bool = False,
) -> CommandContext:
    """Settings and company for a command; a bad config or company name exits cleanly.

    The command's trace (what -v, -vv and the log file show) is set up here and is the
    current one inside `out.guard()`."""
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.cli.surroundings import current_surroundings
    from uku_xero_cli.settings import load_settings, resolve_company

    surroundings = current_surroundings()
    out = Output(
        json_mode=json_output,
        verbose=verbose,
        quiet=quiet,
        no_input=no_input,
        surroundings=surroundings,
    )
    with out.guard():
        settings = load_settings(surroundings.environ)
        name = resolve_company(company, settings, surroundings.environ)
        out.trace = _command_trace(out, settings).for_company(name)
    return CommandContext(out, settings, name, surroundings)


def _command_trace(out: Output, settings: Settings) -> Trace:
    """-v/-vv lines on stderr, and every event as a JSON line in the log file when one is
    set (UKU_XERO_LOG or log_file), whatever -v says."""
    from uku_xero_cli.errors import ConfigError
    from uku_xero_cli.trace import JsonLinesFile, Trace, line_sink

    trace = Trace(level=min(out.verbose, BODIES))
    if out.verbose:
        trace.add(line_sink(out.trace_line, out.verbose))
    if settings.log_file is not None:
        log = JsonLinesFile(settings.log_file)
        try:
            log.open().close()
        except OSError as exc:
            raise ConfigError(
                f"the log file {settings.log_file} cannot be written ({exc.strerror})",
                hint="point UKU_XERO_LOG (or log_file in config.toml) at a writable file",
            ) from None
        trace.add(log)
    return trace
