"""Where output goes: data on stdout, everything else on stderr; --json; TTY rules.

Each command builds one `Output` and runs its work inside `out.guard()`, which turns the
library's typed errors into a one-line message (or a JSON error document) and an exit code.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import typer

from uku_xero_cli.cli.exit_codes import ExitCode, exit_code_for
from uku_xero_cli.cli.surroundings import Surroundings, current_surroundings
from uku_xero_cli.errors import UkuXeroError
from uku_xero_cli.redact import redact

if TYPE_CHECKING:
    from rich.console import Console


def _json_default(value: Any) -> Any:
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default, ensure_ascii=False)


@dataclass
class Output:
    json_mode: bool = False
    verbose: bool = False
    quiet: bool = False
    # Where the streams and NO_COLOR come from: the run's, never the process's directly.
    surroundings: Surroundings = field(default_factory=current_surroundings)
    _stdout: Console | None = field(default=None, repr=False)
    _stderr: Console | None = field(default=None, repr=False)

    @property
    def no_color(self) -> bool:
        return bool(self.surroundings.environ.get("NO_COLOR"))

    @property
    def interactive(self) -> bool:
        """Prompts and progress bars only for a person at a terminal."""
        around = self.surroundings
        return (
            not self.no_color
            and not self.json_mode
            and around.stdin.isatty()
            and around.stderr.isatty()
        )

    @property
    def stdout(self) -> Console:
        if self._stdout is None:
            self._stdout = self._console(self.surroundings.stdout)
        return self._stdout

    @property
    def stderr(self) -> Console:
        if self._stderr is None:
            self._stderr = self._console(self.surroundings.stderr)
        return self._stderr

    def _console(self, file: TextIO) -> Console:
        from rich.console import Console

        # Rich reads COLUMNS, TERM and the like from the run's environment too.
        return Console(
            file=file,
            highlight=False,
            no_color=self.no_color or None,
            _environ=self.surroundings.environ,
        )

    def print(self, renderable: Any) -> None:
        """Data for the user (stdout)."""
        self.stdout.print(renderable)

    def json(self, data: Any) -> None:
        self.surroundings.stdout.write(dumps(data) + "\n")
        self.surroundings.stdout.flush()

    def info(self, message: str) -> None:
        """Progress and hints (stderr), silenced by --quiet."""
        if not self.quiet:
            self.stderr.print(redact(message), markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.stderr.print(f"warning: {redact(message)}", markup=False, soft_wrap=True)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.stderr.print(f"debug: {redact(message)}", markup=False, soft_wrap=True)

    def fail(
        self, code: str, message: str, exit_code: int, extra: dict[str, Any] | None = None
    ) -> NoReturn:
        message = redact(message)
        if self.json_mode:
            error: dict[str, Any] = {"code": code, "message": message}
            error.update(extra or {})
            self.json({"error": error})
        else:
            self.stderr.print(f"error: {message}", markup=False, soft_wrap=True)
        raise typer.Exit(exit_code)

    @contextmanager
    def guard(self) -> Iterator[Output]:
        """Run a command body: typed errors → message and exit code; nothing else escapes."""
        try:
            yield self
        except typer.Exit:
            raise
        except UkuXeroError as exc:
            message = exc.message
            if self.json_mode:
                # The text form folds the problems into the message; JSON lists them apart.
                message = getattr(exc, "summary", None) or message
            elif exc.hint:
                message = f"{message}\n{exc.hint}"
            extra: dict[str, Any] = {}
            if exc.hint:
                extra["hint"] = redact(exc.hint)
            problems = getattr(exc, "problems", None)
            if problems:
                extra["problems"] = [redact(str(p)) for p in problems]
            failures = getattr(exc, "failures", None)
            if failures:
                extra["failures"] = [{"item": f.item, "reasons": f.reasons} for f in failures]
            retry_at = getattr(exc, "retry_at", None)
            if retry_at is not None:
                extra["retry_at"] = retry_at.isoformat()
            if self.verbose:
                self.stderr.print(redact(traceback.format_exc()), markup=False)
            self.fail(exc.code, message, exit_code_for(exc), extra)
        except KeyboardInterrupt:
            self.fail("interrupted", "interrupted", 130)
        except Exception as exc:  # the last line of defence: no tracebacks for users
            if self.verbose:
                self.stderr.print(redact(traceback.format_exc()), markup=False)
            detail = redact(f"{type(exc).__name__}: {exc}")
            hint = "" if self.verbose else " (run again with --verbose for details)"
            self.fail("unexpected", f"unexpected error: {detail}{hint}", ExitCode.ERROR)
