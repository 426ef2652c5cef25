"""Connection health of a company (`status`) and the list of configured companies (`companies`).

A report is built from the token file and the Uku-side store, and, unless offline, checked live
against Xero's GET /connections (which refreshes the token when needed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli.command_lines import auth_again, command_line
from uku_xero_cli.errors import (
    DamagedTokenFile,
    ReauthorizationRequired,
    UkuXeroError,
    error_document,
)
from uku_xero_cli.redact import fingerprint
from uku_xero_cli.settings import Settings
from uku_xero_cli.tokens import (
    TENANT_GONE,
    CompanyTokens,
    TokenStore,
    not_connected,
    reauthorization_required,
)

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.connection.sharing import Sharing
    from uku_xero_cli.store.inventory import OrganisationData

CONNECTED = "connected"
NEEDS_REAUTH = "needs_reauth"
NOT_CONNECTED = "not_connected"

DAMAGED_REASON = "token file damaged"

REFRESH_TOKEN_DAYS = 60  # Xero: a refresh token expires after 60 days unused
# Outcomes of a data set's last reload that leave it to be completed.
UNFINISHED = frozenset({"failed", "interrupted"})


@dataclass
class FeatureCheck:
    feature: str
    ok: bool
    missing: list[str]
    what: str
    blocks: list[str] = field(default_factory=list)  # the commands a missing scope stops

    def to_json(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "ok": self.ok,
            "missing_scopes": self.missing,
            "blocks": self.blocks if not self.ok else [],
        }


def check_features(granted: list[str]) -> list[FeatureCheck]:
    from uku_xero_cli.xero.scopes import missing_scopes

    return [
        FeatureCheck(f.name, not missing, missing, f.what, list(f.blocks))
        for f, missing in missing_scopes(granted)
    ]


@dataclass
class StatusReport:
    company: str
    state: str
    reason: str | None = None
    tenant_gone: bool = False  # marked only because the organisation's connection is gone
    tenant_id: str | None = None
    tenant_name: str | None = None
    connection_id: str | None = None
    access_expires_at: datetime | None = None
    refresh_issued_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    user_name: str | None = None
    user_email: str | None = None
    connected_at: datetime | None = None
    refreshed_at: datetime | None = None
    features: list[FeatureCheck] = field(default_factory=list)
    live: bool = False
    error: UkuXeroError | None = None  # why Xero could not be checked live
    damaged: DamagedTokenFile | None = None  # why the token file could not be read
    fingerprints: dict[str, str] | None = None
    reloads: dict[str, dict[str, Any]] | None = None
    awaiting_payment: dict[str, Any] | None = None
    store_note: str | None = None
    # Other local companies sharing its Xero user or connection (None: not connected).
    sharing: Sharing | None = None
    disconnected_at: datetime | None = None  # not connected because `disconnect` was run
    # Disconnected on purpose is not a failure here (`status --all` without --strict).
    disconnected_ok: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def refresh_age_days(self) -> float | None:
        if self.refresh_issued_at is None:
            return None
        return (self.now - self.refresh_issued_at).total_seconds() / 86400

    @property
    def refresh_days_left(self) -> float | None:
        age = self.refresh_age_days
        return None if age is None else REFRESH_TOKEN_DAYS - age

    @property
    def access_seconds_left(self) -> float | None:
        if self.access_expires_at is None:
            return None
        return (self.access_expires_at - self.now).total_seconds()

    @property
    def tokens_usable(self) -> bool:
        """Whether the stored tokens still work: not once Xero refused them. A company marked
        only because its organisation is gone keeps tokens that list the others."""
        return self.state == CONNECTED or self.tenant_gone

    @property
    def unfinished(self) -> list[str]:
        """The data sets whose last reload failed or was interrupted, in reload order."""
        from uku_xero_cli.sync.datasets import NAMES

        runs = self.reloads or {}
        names = [name for name, run in runs.items() if run.get("outcome") in UNFINISHED]
        return sorted(names, key=lambda n: NAMES.index(n) if n in NAMES else len(NAMES))

    @property
    def completing_command(self) -> str | None:
        """The reload that completes the unfinished data sets."""
        if not self.unfinished:
            return None
        return command_line("reload", self.company, "--only", ",".join(self.unfinished))

    def outcome_error(self) -> UkuXeroError | None:
        """The error this state stands for: the one a command needing the connection would
        raise for the same company (same code, message and hint), or the live check's."""
        if self.error is not None:
            return self.error
        if self.damaged is not None:
            return self.damaged
        if self.state == NEEDS_REAUTH:
            return reauthorization_required(self.company, self.reason, tenant_gone=self.tenant_gone)
        if self.state == NOT_CONNECTED:
            if self.disconnected_ok and self.disconnected_at is not None:
                return None
            return not_connected(self.company)
        return None

    def to_json(self) -> dict[str, Any]:
        usable = self.tokens_usable if self.tenant_id is not None else None
        data: dict[str, Any] = {
            "company": self.company,
            "state": self.state,
            "reason": self.reason,
            "checked_live": self.live,
            "organisation": None
            if self.tenant_id is None
            else {
                "tenant_id": self.tenant_id,
                "name": self.tenant_name,
                "connection_id": self.connection_id,
            },
            # Time left means nothing for tokens Xero refused: `usable` says so, left is null.
            "access_token": {
                "expires_at": self.access_expires_at,
                "seconds_left": _round(self.access_seconds_left) if usable else None,
                "usable": usable,
            },
            "refresh_token": {
                "issued_at": self.refresh_issued_at,
                "age_days": _round(self.refresh_age_days, 1),
                "days_left": _round(self.refresh_days_left, 1) if usable else None,
                "usable": usable,
            },
            "scopes": self.scopes,
            "features": [f.to_json() for f in self.features],
            "user": {"name": self.user_name, "email": self.user_email},
            "connected_at": self.connected_at,
            "refreshed_at": self.refreshed_at,
            "disconnected_at": self.disconnected_at,
            "last_reload": self.reloads,
            "unfinished_reload": None
            if not self.unfinished
            else {"data_sets": self.unfinished, "command": self.completing_command},
            "awaiting_payment": self.awaiting_payment,
            "sharing": None if self.sharing is None else self.sharing.to_json(),
        }
        if self.fingerprints is not None:
            data["fingerprints"] = self.fingerprints
        error = self.outcome_error()
        if error is not None:
            data["error"] = error_document(error)
        return data


def _round(value: float | None, digits: int = 0) -> float | int | None:
    if value is None:
        return None
    return round(value, digits) if digits else int(value)


def _load(store: TokenStore, company: str) -> tuple[CompanyTokens | None, DamagedTokenFile | None]:
    """The company's record, or why its token file cannot be read (then the record is None):
    one unreadable file must not hide the other companies."""
    try:
        return store.load(company), None
    except DamagedTokenFile as exc:
        return None, exc


def _report_from(
    record: CompanyTokens | None,
    company: str,
    verbose: bool,
    *,
    damaged: DamagedTokenFile | None = None,
    others: list[CompanyTokens] | None = None,
) -> StatusReport:
    if damaged is not None:
        return StatusReport(company, NEEDS_REAUTH, reason=DAMAGED_REASON, damaged=damaged)
    if record is None or not record.connected:
        if record is not None and record.disconnected_at is not None:
            return StatusReport(
                company,
                NOT_CONNECTED,
                reason=f"disconnected on purpose; `{auth_again(company)}` connects it again",
                disconnected_at=record.disconnected_at,
            )
        return StatusReport(
            company, NOT_CONNECTED, reason=f"no Xero connection: run `{auth_again(company)}`"
        )
    report = StatusReport(
        company=company,
        state=NEEDS_REAUTH if record.needs_reauth else CONNECTED,
        reason=record.reauth_reason if record.needs_reauth else None,
        tenant_gone=record.tenant_gone,
        tenant_id=record.tenant_id,
        tenant_name=record.tenant_name,
        connection_id=record.connection_id,
        access_expires_at=record.expires_at,
        refresh_issued_at=record.refresh_token_issued_at,
        scopes=list(record.scopes),
        user_name=record.user_name,
        user_email=record.user_email,
        connected_at=record.connected_at,
        refreshed_at=record.refreshed_at,
        features=check_features(record.scopes),
    )
    if others is not None:
        from uku_xero_cli.connection.sharing import sharing_of

        report.sharing = sharing_of(record, others)
    if verbose:
        report.fingerprints = {
            name: fingerprint(value)
            for name, value in (
                ("access_token", record.access_token),
                ("refresh_token", record.refresh_token),
            )
            if value
        }
    return report


def _add_store_facts(report: StatusReport, settings: Settings) -> None:
    """The last reloads and invoices awaiting payment of the organisation the company works
    with (store/opening.py); nothing when no store holds any."""
    import sqlite3

    from uku_xero_cli.store import Store
    from uku_xero_cli.store.opening import current_store_path

    try:
        path = current_store_path(settings, report.company)
        if path is None:
            return
        with Store.open(path, company=report.company) as store:
            report.reloads = {name: run.to_json() for name, run in store.last_runs().items()}
            awaiting = store.awaiting_payment()
            report.awaiting_payment = {
                "count": awaiting.count,
                "due_by_currency": {k: str(v) for k, v in awaiting.due_by_currency.items()},
            }
    except (UkuXeroError, sqlite3.Error) as exc:
        report.store_note = f"the local store could not be read: {exc}"


def company_status(
    settings: Settings,
    company: str,
    *,
    offline: bool = False,
    verbose: bool = False,
    store: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
    others: list[CompanyTokens] | None = None,
    disconnected_ok: bool = False,
) -> StatusReport:
    """The company's connection health; live (GET /connections) unless `offline`.

    `others`: every company's token record (`sharing.local_records`), read here if not given.
    `disconnected_ok`: a company disconnected on purpose is reported without an error.
    """
    from uku_xero_cli.connection.sharing import local_records

    store = store or TokenStore(settings)
    if others is None:
        others = local_records(store)
    record, damaged = _load(store, company)
    report = _report_from(record, company, verbose, damaged=damaged, others=others)
    report.disconnected_ok = disconnected_ok
    _add_store_facts(report, settings)
    if offline or report.state != CONNECTED:
        return report
    from uku_xero_cli.xero.client import XeroClient

    report.live = True
    try:
        with XeroClient(settings, company, store=store, transport=transport) as client:
            connections = client.connections()
        if not any(c.tenant_id == report.tenant_id for c in connections):
            store.mark_needs_reauth(
                company,
                f"the organisation {report.tenant_name} is no longer connected in Xero "
                "(disconnected there, or the user lost access)",
                cause=TENANT_GONE,
            )
    except ReauthorizationRequired:
        pass  # the store holds the reason; read it back below
    except UkuXeroError as exc:
        report.error = exc
        report.live = False  # asked, but Xero's answer is not what the report shows
        return report
    fresh, damaged = _load(store, company)
    checked = _report_from(fresh, company, verbose, damaged=damaged, others=others)
    checked.live = True
    checked.reloads, checked.awaiting_payment = report.reloads, report.awaiting_payment
    checked.store_note = report.store_note
    return checked


@dataclass
class CompanySummary:
    company: str
    state: str
    tenant_id: str | None
    tenant_name: str | None
    reason: str | None
    has_store: bool
    default: bool  # the company commands use without --company
    current: bool = False  # the one --company named (else the default)
    sharing: Sharing | None = None
    # Each organisation's store: the current one and those kept from earlier organisations.
    organisations: list[OrganisationData] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "state": self.state,
            "organisation": None
            if self.tenant_id is None
            else {"tenant_id": self.tenant_id, "name": self.tenant_name},
            "reason": self.reason,
            "has_store": self.has_store,
            "default": self.default,
            "current": self.current,
            "sharing": None if self.sharing is None else self.sharing.to_json(),
            "organisations": [o.to_json() for o in self.organisations],
        }


def configured_companies(settings: Settings) -> list[str]:
    """Companies with a token file or Uku-side stores (or a store of the earlier layout)."""
    from uku_xero_cli.errors import InvalidCompanyName
    from uku_xero_cli.settings import validate_company

    names = set(TokenStore(settings).companies())
    if settings.stores_dir.is_dir():
        for path in settings.stores_dir.iterdir():
            name = path.name if path.is_dir() else path.name.removesuffix(".sqlite")
            if not path.is_dir() and name == path.name:
                continue  # neither a company's directory nor a store of the earlier layout
            try:
                names.add(validate_company(name))
            except InvalidCompanyName:
                continue
    return sorted(names)


def companies(
    settings: Settings,
    default: str | None,
    *,
    current: str | None = None,
    store: TokenStore | None = None,
) -> list[CompanySummary]:
    """Every configured company; `default` and `current` (--company, else the default) marked
    (`default` None: there is none, and no company is marked)."""
    from uku_xero_cli.connection.sharing import local_records
    from uku_xero_cli.store.inventory import organisation_data
    from uku_xero_cli.store.layout import CompanyFiles

    store = store or TokenStore(settings)
    current = current or default
    others = local_records(store)
    found = []
    for name in configured_companies(settings):
        record, damaged = _load(store, name)
        report = _report_from(record, name, verbose=False, damaged=damaged, others=others)
        files = CompanyFiles(settings, name)
        found.append(
            CompanySummary(
                company=name,
                state=report.state,
                tenant_id=report.tenant_id,
                tenant_name=report.tenant_name,
                reason=report.reason if report.state == NEEDS_REAUTH else None,
                has_store=files.has_stores,
                default=name == default,
                current=name == current,
                sharing=report.sharing,
                organisations=organisation_data(files, record.tenant_id if record else None),
            )
        )
    return found
