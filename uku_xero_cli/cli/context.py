"""What a command needs from its surroundings: output, settings, the company, and the
surroundings themselves (environment, working directory, streams, browser).

Imported by every command module at start-up, so it imports the rest lazily: `--help`
should not pay for settings, Rich or the error machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    surroundings: Surroundings
    # --company as given; the company itself is settled when first asked for (`company`).
    flag: str | None = None
    # Whether the command may act on a company that does not exist yet (`auth`).
    creates_company: bool = False
    _company: str | None = field(default=None, repr=False)

    @property
    def company(self) -> str:
        """The company the command acts on: --company, UKU_XERO_COMPANY, default_company or
        `default`. Raises (for the command's guard to report) when no company is named and
        several exist, or when it names one that does not exist and the command does not
        create it: nothing has been opened or written by then.

        Asked for only by commands acting on one company, so `--all` never needs one."""
        if self._company is None:
            from uku_xero_cli.connection.known import require_existing_company
            from uku_xero_cli.connection.status import configured_companies
            from uku_xero_cli.settings import resolve_company

            name = resolve_company(
                self.flag,
                self.settings,
                self.surroundings.environ,
                configured=lambda: configured_companies(self.settings),
            )
            if not self.creates_company:
                require_existing_company(self.settings, name)
            self._company = name
            # The command's own trace (made for it in command_context): its events are the
            # company's from here on.
            self.out.trace.company = name
        return self._company


def command_context(
    company: str | None,
    *,
    json_output: bool = False,
    verbose: int = 0,
    quiet: bool = False,
    creates_company: bool = False,
    no_input: bool = False,
) -> CommandContext:
    """Settings for a command and the --company it was given; a bad config or company name
    exits cleanly. `creates_company`: the command may name a company that does not exist.

    The command's trace (what -v, -vv and the log file show) is set up here and is the
    current one inside `out.guard()`."""
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.cli.surroundings import current_surroundings
    from uku_xero_cli.settings import load_settings, validate_company

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
        if company is not None:
            validate_company(company, "--company")
        out.trace = _command_trace(out, settings)
    return CommandContext(out, settings, surroundings, company, creates_company)


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
