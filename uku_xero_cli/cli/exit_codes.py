"""The one table of exit codes (README: "Exit codes"), and the mapping from typed errors."""

from __future__ import annotations

from enum import IntEnum

from uku_xero_cli import errors


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_CONNECTED = 3
    REAUTH_REQUIRED = 4
    RATE_LIMITED = 5
    PARTIAL = 6
    INTERRUPTED = 130


MEANING = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "error (network, Xero 5xx after retries, lock held, unexpected)",
    ExitCode.USAGE: "bad usage or bad input (invalid invoice file, unknown organisation); "
    "nothing was written",
    ExitCode.NOT_CONNECTED: "not connected: no Xero connection for this company",
    ExitCode.REAUTH_REQUIRED: "re-authorization needed: refresh token revoked or expired, "
    "or the tenant connection was removed in Xero",
    ExitCode.RATE_LIMITED: "Xero daily rate limit reached; the message says when to retry",
    ExitCode.PARTIAL: "partial: some items succeeded, some were rejected",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}

# Most specific class first; the first match wins.
_BY_ERROR: list[tuple[type[errors.UkuXeroError], ExitCode]] = [
    (errors.UsageError, ExitCode.USAGE),
    (errors.NotConnected, ExitCode.NOT_CONNECTED),
    (errors.ReauthorizationRequired, ExitCode.REAUTH_REQUIRED),
    (errors.RateLimited, ExitCode.RATE_LIMITED),
    (errors.PartialFailure, ExitCode.PARTIAL),
    (errors.Interrupted, ExitCode.INTERRUPTED),
    (errors.UkuXeroError, ExitCode.ERROR),
]


def exit_code_for(error: BaseException) -> ExitCode:
    if isinstance(error, errors.CompaniesFailed):
        return ExitCode(worst([int(exit_code_for(each)) for each in error.by_company.values()]))
    if isinstance(error, errors.ChecksFailed):
        return ExitCode(worst([int(exit_code_for(each)) for each in error.by_check.values()]))
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    for cls, code in _BY_ERROR:
        if isinstance(error, cls):
            return code
    return ExitCode.ERROR


# For commands over several companies (`--all`): the code of the most severe outcome wins.
# An unexpected error comes first because nothing is known about that company's state; then
# the states that need a person (re-authorize, connect), then those that pass with time.
SEVERITY = (
    ExitCode.ERROR,
    ExitCode.REAUTH_REQUIRED,
    ExitCode.NOT_CONNECTED,
    ExitCode.RATE_LIMITED,
    ExitCode.PARTIAL,
    ExitCode.USAGE,
)


def worst(codes: list[int]) -> int:
    """The one exit code that stands for several companies' outcomes."""
    for code in SEVERITY:
        if code in codes:
            return int(code)
    return int(ExitCode.OK)
