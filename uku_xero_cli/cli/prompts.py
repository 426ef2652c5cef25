"""Questions asked of a person at a terminal (only when `Output.interactive`).

End of input (Ctrl-D) instead of an answer is `NoAnswer`: nothing was changed, and the exit
code is 2, as when a question cannot be asked at all (no terminal, and no --yes or --use).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from uku_xero_cli.errors import UsageError

if TYPE_CHECKING:
    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.connection.connect import Chooser
    from uku_xero_cli.xero.client import XeroConnection

T = TypeVar("T")


class NoAnswer(UsageError):
    """The person ended the input (Ctrl-D) instead of answering."""

    code = "no_answer"


def _answer(ask: Callable[[], T]) -> T:
    try:
        return ask()
    except EOFError:
        raise NoAnswer("no answer: nothing was changed") from None


def organisation_chooser(out: Output, current: str | None = None) -> Chooser:
    """A chooser that lists the organisations on stderr and asks for a number."""

    def choose(orgs: list[XeroConnection]) -> XeroConnection:
        from rich.prompt import IntPrompt

        from uku_xero_cli.cli.render.connection import render_org_choices

        out.stderr.print(render_org_choices(orgs, current))
        choices = [str(n) for n in range(1, len(orgs) + 1)]
        ask = "Organisation number"
        default = next((n for n, org in enumerate(orgs, 1) if org.tenant_id == current), None)
        if default is None:
            number = _answer(
                lambda: IntPrompt.ask(ask, console=out.stderr, choices=choices, show_choices=False)
            )
        else:
            number = _answer(
                lambda: IntPrompt.ask(
                    ask, console=out.stderr, choices=choices, show_choices=False, default=default
                )
            )
        return orgs[number - 1]

    return choose


def confirm(out: Output, question: str) -> bool:
    from rich.prompt import Confirm

    return _answer(lambda: Confirm.ask(question, console=out.stderr, default=False))


def confirm_or_require_yes(out: Output, question: str, *, without_terminal: str) -> None:
    """Ask `question` at a terminal (no: "Nothing was changed.", exit 1); off a terminal the
    command needs --yes instead (UsageError `without_terminal`, exit 2)."""
    import typer

    from uku_xero_cli.cli.exit_codes import ExitCode

    if not out.interactive:
        raise UsageError(without_terminal)
    if not confirm(out, question):
        out.info("Nothing was changed.")
        raise typer.Exit(ExitCode.ERROR)
