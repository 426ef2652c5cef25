"""The uku-xero command lines that messages tell a person to run.

A fix command is copied into a shell as it is printed, so it names the company it concerns
(`-c NAME`: without it the command would act on the default company) and quotes whatever a
shell would split. Every hint that names a command builds it here.
"""

from __future__ import annotations

import shlex

PROGRAM = "uku-xero"


def command_line(command: str, company: str | None, *args: str) -> str:
    """`uku-xero COMMAND -c COMPANY ARGS...`, each argument quoted for a POSIX shell.

    `company` None only for commands that concern no one company (`companies`, or connecting
    a company yet to be named)."""
    words = [PROGRAM, *command.split()]
    if company is not None:
        words += ["-c", shlex.quote(company)]
    words += [shlex.quote(arg) for arg in args]
    return " ".join(words)


def auth_again(company: str, *args: str) -> str:
    """The command that signs a company in again: the fix of most sign-in failures."""
    return command_line("auth", company, *args)
