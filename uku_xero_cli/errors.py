"""Typed errors the library raises.

Library code raises these and never decides how the process ends; the CLI layer
(`uku_xero_cli.cli.exit_codes`) alone maps each class to an exit code and a message.
Messages say what went wrong and what to do next, and never contain secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from uku_xero_cli.redact import redact


class UkuXeroError(Exception):
    """Base class of every expected failure. `code` is a stable machine-readable name."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(UkuXeroError):
    """Bad usage or bad input: nothing was written."""

    code = "usage"


class InvalidCompanyName(UsageError):
    code = "invalid_company"


class ConfigError(UsageError):
    """config.toml or an environment variable holds something unusable."""

    code = "config"


class MissingClientId(ConfigError):
    """No Xero app client id is configured: nothing can be asked of Xero. Every command that
    would talk to Xero raises it before anything else, whether or not a token is due."""

    code = "no_client_id"


class NotConnected(UkuXeroError):
    """The company has no Xero connection."""

    code = "not_connected"


class UnknownCompany(NotConnected):
    """No company of that name: neither a token file nor an Uku-side store (most often a
    typo). Exit code 3 like any company without a connection, and nothing is created."""

    code = "unknown_company"


class ReauthorizationRequired(UkuXeroError):
    """The refresh token is revoked or expired, or the tenant connection was removed."""

    code = "reauth_required"


class DamagedTokenFile(ReauthorizationRequired):
    """A company's token file cannot be read as TOML: `auth` replaces it, `disconnect` clears
    it; listings show the company as needing re-authorization."""

    code = "token_file_damaged"


class MissingScope(ReauthorizationRequired):
    """Xero refused one call for a scope the connection was not granted (401
    AuthorizationUnsuccessful). Exit code 4 like any re-authorization, but the company is not
    marked needs_reauth: calls its granted scopes cover keep working."""

    code = "missing_scope"


class RateLimited(UkuXeroError):
    """Xero's daily limit is reached; `retry_at` says when it resets (when known)."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_at: datetime | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_at = retry_at


class NetworkError(UkuXeroError):
    """Xero could not be reached, timed out, or kept answering 5xx."""

    code = "network"


class LockHeld(UkuXeroError):
    """Another uku-xero process holds the lock this command needs."""

    code = "lock_held"


class XeroAPIError(UkuXeroError):
    """Xero answered with an error this tool has no better name for."""

    code = "xero_error"

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status


@dataclass
class ItemFailure:
    """One rejected item of a batch: what it was and why."""

    item: str
    reasons: list[str] = field(default_factory=list)


class PartialFailure(UkuXeroError):
    """Some items succeeded and some were rejected."""

    code = "partial"

    def __init__(self, message: str, *, failures: list[ItemFailure], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.failures = failures


class AuthorizationFailed(UkuXeroError):
    """The browser sign-in did not end with a usable authorization code or token."""

    code = "auth_failed"


class AuthorizationDenied(AuthorizationFailed):
    """The user (or Xero) declined the consent: `?error=access_denied` and friends."""

    code = "access_denied"


class StateMismatch(AuthorizationFailed):
    """The redirect carried a `state` this process did not issue: the code is not used."""

    code = "state_mismatch"


class AuthorizationTimeout(AuthorizationFailed):
    """No redirect arrived before `--timeout` ran out."""

    code = "auth_timeout"


class PortUnavailable(UkuXeroError):
    """The loopback redirect port cannot be listened on (not permitted, address missing)."""

    code = "port_unavailable"


class PortInUse(PortUnavailable):
    """The loopback redirect port is taken by another program."""

    code = "port_in_use"


class AccessRefused(XeroAPIError):
    """Xero refused a call even with a freshly refreshed token (401), though the granted
    scopes seem to cover it: an error of this run that marks nothing."""

    code = "access_refused"


class NotFound(XeroAPIError):
    """Xero answered 404 for the resource."""

    code = "not_found"


class XeroValidationError(XeroAPIError):
    """Xero answered 400 ValidationException; `messages` holds Xero's own reasons."""

    code = "validation"

    def __init__(
        self,
        message: str,
        *,
        messages: list[str],
        body: object = None,
        status: int | None = 400,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, status=status, hint=hint)
        self.messages = messages
        self.body = body


class InvalidInput(UsageError):
    """An input file was rejected whole; `problems` lists every problem found, one per entry."""

    code = "invalid_input"

    def __init__(self, message: str, *, problems: list[str], hint: str | None = None) -> None:
        # The text form lists the problems too, so a plain error line shows all of them.
        full = "\n".join([message, *(f"  {p}" for p in problems)])
        super().__init__(full, hint=hint)
        self.summary = message
        self.problems = problems


class InvalidInvoice(InvalidInput):
    """An invoice file (or the reference data it needs) is unusable; nothing was sent."""

    code = "invalid_invoice"


class InvoicesRejected(UsageError):
    """Xero (or the tool, for a change Xero would not allow) rejected every invoice sent."""

    code = "rejected"

    def __init__(self, message: str, *, failures: list[ItemFailure], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.failures = failures


class StoreError(UkuXeroError):
    """The company's local store cannot be opened or used (corrupt, newer schema, locked)."""

    code = "store"


class UnexpectedError(UkuXeroError):
    """A failure no typed error names (a bug, or something unforeseen). Made by `as_typed`
    from the exception itself, which it keeps as `__cause__` for --verbose's traceback."""

    code = "unexpected"


class Interrupted(UkuXeroError):
    """The person pressed Ctrl-C."""

    code = "interrupted"


class CompaniesFailed(UkuXeroError):
    """Some companies of an `--all` run did not end well. Each company's own error is in its
    entry of the document and in `by_company`; the most severe of them sets the exit code."""

    code = "companies_failed"

    def __init__(self, by_company: dict[str, BaseException], total: int) -> None:
        super().__init__(f"{len(by_company)} of {total} companies failed: {', '.join(by_company)}")
        self.by_company = by_company


class ChecksFailed(UkuXeroError):
    """Some of `doctor`'s checks of a company failed. Each failed check's own error (what a
    command would meet for the same cause) is in `by_check`; the most severe sets the exit
    code, as for `status`."""

    code = "checks_failed"

    def __init__(self, company: str, by_check: dict[str, BaseException]) -> None:
        super().__init__(
            f"{len(by_check)} check(s) of company '{company}' failed: {', '.join(by_check)}",
            hint="each failed check above says what fixes it",
        )
        self.by_check = by_check


class DemoFailed(UkuXeroError):
    """A step of `uku-xero demo` did not end with the exit code it should have."""

    code = "demo_failed"


def as_typed(error: BaseException) -> UkuXeroError:
    """The typed error standing for any exception: itself when typed already."""
    if isinstance(error, UkuXeroError):
        return error
    if isinstance(error, KeyboardInterrupt):
        return Interrupted("interrupted")
    typed = UnexpectedError(
        f"unexpected error: {type(error).__name__}: {error}",
        hint="--verbose shows the traceback",
    )
    typed.__cause__ = error
    return typed


def error_document(error: BaseException) -> dict[str, Any]:
    """The `"error"` of every JSON document, whatever the command: `code` and `message`, and
    `hint`, `problems`, `failures` and `retry_at` when the error has them. Secrets masked.

    The one builder of error documents: the CLI's failures and the results' `to_json` both
    call it, so one cause reads the same everywhere."""
    typed = as_typed(error)
    # The text form of InvalidInput folds its problems into the message; here they are apart.
    document: dict[str, Any] = {
        "code": typed.code,
        "message": redact(getattr(typed, "summary", None) or typed.message),
    }
    if typed.hint:
        document["hint"] = redact(typed.hint)
    problems = getattr(typed, "problems", None)
    if problems:
        document["problems"] = [redact(str(p)) for p in problems]
    failures = getattr(typed, "failures", None)
    if failures:
        document["failures"] = [{"item": f.item, "reasons": f.reasons} for f in failures]
    retry_at = getattr(typed, "retry_at", None)
    if retry_at is not None:
        document["retry_at"] = retry_at.isoformat()
    return document
