"""The output policy, in one place: --json or text, data on stdout, the rest on stderr.

A command hands its result to `Output.emit(result, render)`: under --json the result's
`to_json()` is printed as one document; otherwise the render function's renderable or `View`
is shown. An error raised inside `Output.guard()`, and the error a result ends with
(`outcome_error()`), go through `Output.fail`: one JSON error document built by
`errors.error_document`, or an `error:` line with the hint under it, and the exit code from
`exit_codes`. Nothing else in the CLI decides between JSON and text.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Protocol, TextIO, TypeVar

import typer

from uku_xero_cli.cli.exit_codes import ExitCode, exit_code_for
from uku_xero_cli.cli.surroundings import Surroundings, current_surroundings
from uku_xero_cli.errors import (
    CompaniesFailed,
    UkuXeroError,
    UsageError,
    as_typed,
    error_document,
)
from uku_xero_cli.redact import redact

if TYPE_CHECKING:
    from rich.console import Console

    from uku_xero_cli.trace import Trace

RENDER_PACKAGE = "uku_xero_cli.cli.render"
NO_INPUT_VARIABLE = "UKU_XERO_NO_INPUT"


def env_flag(value: str | None) -> bool:
    """An on/off environment variable: set and not 0, false, no or off."""
    return value is not None and value.strip().lower() not in ("0", "false", "no", "off", "")


class Result(Protocol):
    """What a command hands to `emit`. A result that can end in failure also has
    `outcome_error() -> UkuXeroError | None`, and its `to_json()` carries that error under
    `"error"` (built by `errors.error_document`)."""

    def to_json(self) -> Any: ...


class CompanyResult(Result, Protocol):
    @property
    def company(self) -> str: ...


R = TypeVar("R", bound=CompanyResult)
T = TypeVar("T", bound=Result)


@dataclass
class EveryCompany(Generic[R]):
    """The result of an `--all` run: one entry per company, and `companies_failed` when any
    of them ended in an error (each company's own error stays in its entry)."""

    results: Sequence[R]

    def outcome_error(self) -> CompaniesFailed | None:
        failed = {r.company: e for r in self.results if (e := outcome_error(r)) is not None}
        return CompaniesFailed(failed, len(self.results)) if failed else None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"companies": [r.to_json() for r in self.results]}
        error = self.outcome_error()
        if error is not None:
            document["error"] = error_document(error)
        return document


def outcome_error(result: object) -> BaseException | None:
    """The error `result` ends with, if it can end with one."""
    ends = getattr(result, "outcome_error", None)
    return None if ends is None else ends()


@dataclass(frozen=True)
class Exact:
    """A value written into a JSON document with its Decimals as exact JSON numbers (a
    request body as Xero gets it), where the rest of the document writes amounts as text."""

    value: Any


# JSON escapes the NUL that starts a placeholder, so no string of the data can look like one.
_EXACT = re.compile(r'^( *)(.*)"\\u0000exact:(\d+)"', re.M)


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
    """One JSON document: amounts as text, moments in ISO 8601, `Exact` values as numbers."""
    exact: list[Any] = []

    def default(value: Any) -> Any:
        if isinstance(value, Exact):
            exact.append(value.value)
            return f"\x00exact:{len(exact) - 1}"
        return _json_default(value)

    text = json.dumps(data, indent=2, default=default, ensure_ascii=False)
    if not exact:
        return text
    from uku_xero_cli.xero.parse import encode_json

    def splice(match: re.Match[str]) -> str:
        indent, before, index = match.group(1), match.group(2), int(match.group(3))
        value = encode_json(exact[index], indent=2).replace("\n", "\n" + indent)
        return indent + before + value

    return _EXACT.sub(splice, text)


def _render_function(reference: str) -> Callable[[Any], Any]:
    """`module:function` under cli/render/, imported only now: --json never loads Rich."""
    from importlib import import_module

    module, _, name = reference.partition(":")
    function: Callable[[Any], Any] = getattr(import_module(f"{RENDER_PACKAGE}.{module}"), name)
    return function


def _no_trace() -> Trace:
    from uku_xero_cli.trace import NO_TRACE

    return NO_TRACE


@dataclass
class Output:
    json_mode: bool = False
    verbose: int = 0  # -v 1, -vv 2
    quiet: bool = False
    # --no-input: never ask, even at a terminal (UKU_XERO_NO_INPUT=1 does the same).
    no_input: bool = False
    # Where the streams and NO_COLOR come from: the run's, never the process's directly.
    surroundings: Surroundings = field(default_factory=current_surroundings)
    # What the command's Xero clients report to (set by `command_context`; current inside
    # `guard()`).
    trace: Trace = field(default_factory=_no_trace, repr=False)
    _stdout: Console | None = field(default=None, repr=False)
    _stderr: Console | None = field(default=None, repr=False)

    @property
    def no_color(self) -> bool:
        """NO_COLOR (no-color.org): any non-empty value turns colour off, and only colour."""
        return bool(self.surroundings.environ.get("NO_COLOR"))

    @property
    def interactive(self) -> bool:
        """Whether a person can be asked: stdin and stderr (where the question is shown) are
        a terminal, and neither --json, --no-input nor UKU_XERO_NO_INPUT says not to."""
        around = self.surroundings
        return (
            not self.json_mode
            and not self.no_input
            and not env_flag(around.environ.get(NO_INPUT_VARIABLE))
            and around.stdin.isatty()
            and around.stderr.isatty()
        )

    def why_no_questions(self) -> str:
        """Why `interactive` is false, in words that name the way round it."""
        around = self.surroundings
        if self.json_mode:
            return "--json was given"
        if self.no_input:
            return "--no-input was given"
        if env_flag(around.environ.get(NO_INPUT_VARIABLE)):
            return f"{NO_INPUT_VARIABLE} is set"
        return "not at a terminal"

    @property
    def live_display(self) -> bool:
        """Progress bars: only on a terminal (stderr), and not under --json or --quiet."""
        return not self.json_mode and not self.quiet and self.surroundings.stderr.isatty()

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
        """Data for the user (stdout). A line made not to wrap (a command to copy) is not cut
        at the width either: the terminal folds it."""
        self.stdout.print(renderable, crop=False)

    def info(self, message: str) -> None:
        """Progress and hints (stderr), silenced by --quiet."""
        if not self.quiet:
            self.stderr.print(redact(message), markup=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.stderr.print(f"warning: {redact(message)}", markup=False, soft_wrap=True)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.stderr.print(f"debug: {redact(message)}", markup=False, soft_wrap=True)

    def trace_line(self, line: str) -> None:
        """One line of -v/-vv (already redacted by the trace), above any progress display."""
        self.stderr.print(line, markup=False, highlight=False, soft_wrap=True)

    def emit(self, result: T, render: str, *, to_json: Callable[[T], Any] | None = None) -> None:
        """Show `result`: its `to_json()` (or `to_json(result)`) under --json, else what the
        render function at `render` ("module:function" under cli/render/) makes of it. A
        result that ends in an error then exits with that error's code (its message on stderr
        in text mode)."""
        error = outcome_error(result)
        if self.json_mode:
            self._write_json(result.to_json() if to_json is None else to_json(result))
        else:
            self._show(_render_function(render)(result))
            if error is not None:
                self._error_lines(error)
        if error is not None:
            raise typer.Exit(int(exit_code_for(error)))

    def fail(self, error: BaseException) -> NoReturn:
        """End the command with `error`: its document on stdout under --json, else `error:`
        lines on stderr; the exit code from the table. -v adds the traceback of an unexpected
        error, -vv that of any error."""
        if self.verbose >= 2 or (self.verbose and not isinstance(error, UkuXeroError)):
            self._traceback(error)
        if self.json_mode:
            self._write_json({"error": error_document(error)})
        else:
            self._error_lines(error)
        raise typer.Exit(int(exit_code_for(error)))

    @contextmanager
    def guard(self) -> Iterator[Output]:
        """Run a command body: typed errors → message and exit code; nothing else escapes.
        Inside it, the command's trace is the current one."""
        from uku_xero_cli.trace import tracing

        try:
            with tracing(self.trace):
                yield self
        except typer.Exit:
            raise
        except (Exception, KeyboardInterrupt) as exc:  # no tracebacks for users
            self.fail(exc)

    def _write_json(self, document: Any) -> None:
        self.surroundings.stdout.write(dumps(document) + "\n")
        self.surroundings.stdout.flush()

    def _show(self, shown: Any) -> None:
        from uku_xero_cli.cli.render.view import View

        parts = shown.parts if isinstance(shown, View) else [("data", shown)]
        for kind, part in parts:
            if kind == "warning":
                self.warn(str(part))
            elif kind == "info":
                self.info(str(part))
            elif kind == "terminal":
                if self.surroundings.stdout.isatty():
                    self.print(part)
            elif self.quiet:
                continue
            elif kind == "document":
                self._document(part)
            elif kind == "verbatim":
                self._verbatim(str(part))
            else:
                self.print(part)

    def _document(self, value: Any) -> None:
        """A JSON value for a person at a terminal (indented, coloured unless NO_COLOR) or
        for a program (one line); every amount exactly as Xero wrote it."""
        from uku_xero_cli.xero.parse import encode_json

        if not self.surroundings.stdout.isatty():
            self._verbatim(encode_json(value))
            return
        from rich.highlighter import JSONHighlighter
        from rich.text import Text

        text = Text(encode_json(value, indent=2))
        if not self.no_color:
            JSONHighlighter().highlight(text)
        # soft_wrap: long strings run on instead of being cut at the terminal's edge.
        self.stdout.print(text, soft_wrap=True)

    def _verbatim(self, text: str) -> None:
        stream = self.surroundings.stdout
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()

    def _error_lines(self, error: BaseException) -> None:
        typed = as_typed(error)
        if isinstance(typed, CompaniesFailed):
            for company, each in typed.by_company.items():
                self._error_line(as_typed(each), company)
        else:
            self._error_line(typed)

    def _error_line(self, error: UkuXeroError, company: str | None = None) -> None:
        message = redact(error.message)
        named = f"company '{company}'"
        if company is not None and named not in message:
            message = f"{named}: {message}"
        if error.hint:
            message += f"\n{redact(error.hint)}"
        self.stderr.print(f"error: {message}", markup=False, soft_wrap=True)

    def _traceback(self, error: BaseException) -> None:
        if error.__traceback__ is not None:
            lines = traceback.format_exception(error)
            self.stderr.print(redact("".join(lines)), markup=False)


def usage_failure(
    error: typer.TyperException, *, json_requested: bool, stdout: TextIO, stderr: TextIO
) -> int:
    """A usage error Typer found before any command ran: Typer's own message (with the usage
    line) on `stderr` and, when --json was asked for, the error document on `stdout`."""
    # Typer marks usage errors (bad option, missing argument) with click's exit code 2.
    typed = (
        UsageError(error.format_message())
        if error.exit_code == ExitCode.USAGE
        else UkuXeroError(error.format_message())
    )
    if json_requested:
        stdout.write(dumps({"error": error_document(typed)}) + "\n")
        stdout.flush()
    show = getattr(error, "show", None)
    if show is not None:
        show(file=stderr)
    else:
        print(f"error: {typed.message}", file=stderr)
    return int(exit_code_for(typed))
