"""Everything that shapes one emulator instance. Defaults follow Xero's documented behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from uku_xero_cli.settings import DEFAULT_REDIRECT_PORT

PUBLIC_CLIENT_ID = "SANDBOXPKCECLIENT0000000000000000"
CONFIDENTIAL_CLIENT_ID = "SANDBOXSECRETCLIENT000000000000000"
CONFIDENTIAL_CLIENT_SECRET = "sandbox-secret-not-for-production-use-0000000000"


@dataclass
class SandboxConfig:
    seed: int = 1
    orgs: int = 2
    contacts: int = 200
    items: int = 40
    invoices: int = 600
    bank_transactions: int = 300
    credit_notes: int = 40
    manual_journals: int = 24
    archived_share: float = 0.05
    months_of_history: int = 18

    # Requests whose parameters, headers or bodies do not fit Xero's OpenAPI spec get 400.
    strict: bool = False

    # Identity (seconds). Xero: access 30 min, refresh 60 days unused, 30 min grace on reuse.
    access_token_ttl: int = 1800
    refresh_token_ttl: int = 60 * 24 * 3600
    refresh_grace: int = 1800
    code_ttl: int = 300
    redirect_uris: list[str] = field(
        default_factory=lambda: [f"http://localhost:{DEFAULT_REDIRECT_PORT}/callback"]
    )
    # Allowed scopes of the sandbox apps; None means every scope Xero knows.
    allowed_scopes: list[str] | None = None
    # "auto" consents to every organisation of the user (or to `consent_tenants`), "deny"
    # answers access_denied, "page" shows an HTML page where a person ticks organisations.
    consent: str = "auto"
    # Tenant ids that automatic consent connects; None means all of the user's organisations.
    consent_tenants: list[str] | None = None
    # How long the consent page stays usable (seconds).
    consent_ttl: int = 900
    # Xero logins the world has; each reaches every organisation (the first is Sam Sandbox).
    users: int = 1
    # Who signs in at the authorize endpoint (user id or email); None means the first user.
    consent_user: str | None = None
    # Revoking a refresh token removes all of its user's connections to the app (xero-node
    # 4.10.1); whether it also ends the token sets of that user's other sign-ins is
    # unconfirmed: True (the harsher case) ends them too. See grants.revoke_user.
    revoke_ends_other_sign_ins: bool = True

    # Rate limits (Xero: 5 concurrent, 60 a minute, 5,000 a day per tenant; 10,000 a minute
    # per app). Windows are configurable so tests need not wait a real minute.
    concurrent_limit: int = 5
    minute_limit: int = 60
    day_limit: int = 5000
    app_minute_limit: int = 10000
    minute_window: float = 60.0
    day_window: float = 86400.0

    # Faults.
    latency: float = 0.0
    error_rate: float = 0.0
    # Servers that ignore pageSize and always answer 100 a page exist; emulate them.
    ignore_page_size: bool = False
    # A list read without `page` is a summary with document lines left out (books/listing.py).
    # Xero's docs give lines to "an individual invoice" by id or number; whether `IDs=` or
    # `InvoiceNumbers=` without `page` count is unconfirmed, so by default they do not.
    id_filters_carry_lines: bool = False
    # Longest query string (characters as sent, percent-encoded) Xero serves; past it, 404
    # (sandbox/gateway.py).
    max_query_length: int = 2048
    # Idempotency keys are remembered this long (seconds of the emulator's clock; Xero: a few
    # minutes, unconfirmed) and a kept key met with another body is answered "replay" (the
    # first answer) or "process" (as a new request). Both are guesses; see books/replay.py.
    idempotency_ttl: float = 300.0
    idempotency_mismatch: str = "replay"


# What a live-changeable setting takes: bool, int or float (positive), or one of some words.
SettingKind = type | tuple[str, ...]


def settings_of(config: SandboxConfig, table: dict[str, SettingKind]) -> dict[str, Any]:
    return {name: getattr(config, name) for name in table}


def _checked(name: str, kind: SettingKind, value: Any) -> Any:
    if isinstance(kind, tuple):
        if value not in kind:
            raise ValueError(f"{name} must be one of {', '.join(kind)}")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if kind is int and value != int(value):
        raise ValueError(f"{name} must be a whole number")
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return kind(value)


def change_settings(
    config: SandboxConfig, table: dict[str, SettingKind], what: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply `changes` (names of `table`, each a `what`) to the live config after checking all
    of them, so a bad one leaves every setting as it was; returns the settings after."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in table:
            raise ValueError(f"unknown {what} {name!r}; known: {', '.join(table)}")
        checked[name] = _checked(name, table[name], value)
    for name, value in checked.items():
        setattr(config, name, value)
    return settings_of(config, table)
