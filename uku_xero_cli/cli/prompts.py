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


def cannot_ask(why: str) -> Chooser:
    """The chooser where no question may be asked: the choice fails, saying `why` and
    listing the organisations with the command that picks each."""
    from uku_xero_cli.connection.connect import CannotAsk

    def refuse(orgs: list[XeroConnection]) -> XeroConnection:
        raise CannotAsk(why)

    return refuse


def organisation_chooser(out: Output, current: str | None = None) -> Chooser:
    """A chooser that lists the organisations (numbered, the current one marked) on stderr
    and takes a number or a name; a bad answer is told what would do and asked again."""

    def choose(orgs: list[XeroConnection]) -> XeroConnection:
        from uku_xero_cli.cli.render.connection import render_org_choices

        out.stderr.print(render_org_choices(orgs, current))
        default = next((n for n, org in enumerate(orgs, 1) if org.tenant_id == current), None)
        question = f"Organisation (number 1-{len(orgs)} or name)"
        if default is not None:
            question += f" [{default}]"
        while True:
            answer = _answer(lambda: _ask(out, question))
            picked = pick_by_answer(orgs, answer, default)
            if not isinstance(picked, str):
                return picked
            out.stderr.print(picked, markup=False, soft_wrap=True)

    return choose


def pick_by_answer(
    orgs: list[XeroConnection], answer: str, default: int | None = None
) -> XeroConnection | str:
    """The organisation an answer names — its number, its name in any case, the start of
    one name only, or its tenant id (Enter: `default`) — or what to type instead."""
    valid = f"type a number from 1 to {len(orgs)}, or a name"
    text = answer.strip()
    if not text:
        return orgs[default - 1] if default is not None else f"No answer: {valid}."
    if text.isdigit():
        number = int(text)
        return orgs[number - 1] if 1 <= number <= len(orgs) else f"{text} is not listed: {valid}."
    key = text.casefold()
    for org in orgs:
        if key in (org.tenant_name.casefold(), org.tenant_id.casefold()):
            return org
    starting = [org for org in orgs if org.tenant_name.casefold().startswith(key)]
    if len(starting) == 1:
        return starting[0]
    if starting:
        names = ", ".join(org.tenant_name for org in starting)
        return (
            f"'{text}' fits {len(starting)} organisations ({names}): type more of the name, "
            "or its number."
        )
    return f"No organisation is called '{text}': {valid}."


def _ask(out: Output, question: str) -> str:
    """One line typed at the terminal (the run's stdin); EOFError at the end of input."""
    out.stderr.print(f"{question}: ", end="", markup=False)
    line = out.surroundings.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def confirm(out: Output, question: str) -> bool:
    from rich.prompt import Confirm

    return _answer(lambda: Confirm.ask(question, console=out.stderr, default=False))


def confirm_or_require_yes(out: Output, question: str, *, asking: str, with_yes: str) -> None:
    """Ask `question` at a terminal (no: "Nothing was changed.", exit 1); where no question
    can be asked (no terminal, --no-input) the command needs --yes instead: UsageError
    (exit 2) saying why, whose hint is `with_yes`, the command line that passes it."""
    import typer

    from uku_xero_cli.cli.exit_codes import ExitCode

    if not out.interactive:
        raise UsageError(
            f"{asking} asks for confirmation at the terminal, and cannot here "
            f"({out.why_no_questions()}): nothing was changed; pass --yes",
            hint=f"run `{with_yes}`",
        )
    if not confirm(out, question):
        out.info("Nothing was changed.")
        raise typer.Exit(ExitCode.ERROR)
