"""Disconnecting a company from Xero: end at Xero what belongs to this company alone, clear the
local tenant and tokens. The Uku-side stores are kept.

Xero keeps one connection per app, user and organisation, and revoking a refresh token
removes every connection of its user (connection/sharing.py). So the connection is deleted
only when no other local company uses it, and the refresh token revoked only when no other
local company was connected by the same Xero user (or possibly was: a user not on file);
otherwise both are left in place and the outcome says for whom. `everywhere` ends both anyway,
and marks the companies that were cut off as needing `auth`.

Xero may be unreachable or the tokens already dead; the local side is cleared anyway and the
outcome says what could not be confirmed at Xero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uku_xero_cli.connection.sharing import Sharing, local_sharing
from uku_xero_cli.errors import DamagedTokenFile, UkuXeroError
from uku_xero_cli.settings import Settings, require_client_id
from uku_xero_cli.tokens import (
    TENANT_GONE,
    TOKEN_REFUSED,
    CompanyTokens,
    TokenStore,
    not_connected,
)

if TYPE_CHECKING:
    import httpx

REMOVED = "removed"
ALREADY_GONE = "already_gone"
REVOKED = "revoked"
KEPT = "kept"
UNCONFIRMED = "unconfirmed"

CONNECTION = "connection"
REFRESH_TOKEN = "refresh_token"


def _names(companies: tuple[str, ...] | list[str]) -> str:
    quoted = [f"'{name}'" for name in companies]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


@dataclass(frozen=True)
class DisconnectPlan:
    """What disconnecting a company will end at Xero, known from local files before anything
    is sent: the CLI shows it (and asks) first."""

    company: str
    record: CompanyTokens | None  # None: the token file is damaged
    sharing: Sharing | None
    everywhere: bool = False

    @property
    def tenant_name(self) -> str | None:
        if self.record is None:
            return None
        return self.record.tenant_name or self.record.tenant_id

    @property
    def cut_off(self) -> tuple[str, ...]:
        """With `everywhere`: the companies that will need `auth` again (the same Xero user)."""
        return self.sharing.same_user if self.everywhere and self.sharing else ()

    @property
    def possibly_cut_off(self) -> tuple[str, ...]:
        """With `everywhere`: companies whose Xero user is not on file, so may be cut off too."""
        return self.sharing.maybe_same_user if self.everywhere and self.sharing else ()

    def warning(self) -> str | None:
        """What `everywhere` will cut off, said before it is done."""
        if not (self.cut_off or self.possibly_cut_off):
            return None
        parts = []
        if self.cut_off:
            parts.append(
                f"{_names(self.cut_off)} (connected by the same Xero user) will need "
                "`uku-xero auth -c NAME` again"
            )
        if self.possibly_cut_off:
            parts.append(
                f"{_names(self.possibly_cut_off)} may too (their Xero user is not on file)"
            )
        return (
            f"--everywhere ends the Xero sign-in of company '{self.company}' at Xero: "
            + "; ".join(parts)
        )


@dataclass(frozen=True)
class LeftInPlace:
    """Something of this company's left alone at Xero, because other companies use it."""

    what: str  # CONNECTION or REFRESH_TOKEN
    companies: tuple[str, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "companies": list(self.companies), "reason": self.reason}


@dataclass
class DisconnectOutcome:
    company: str
    tenant_id: str | None
    tenant_name: str | None
    connection: str = UNCONFIRMED  # removed / already_gone / kept / unconfirmed
    token: str = UNCONFIRMED  # revoked / kept / unconfirmed
    everywhere: bool = False
    left_in_place: list[LeftInPlace] = field(default_factory=list)
    cut_off: list[str] = field(default_factory=list)  # marked as needing `auth` here
    possibly_cut_off: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    store_kept: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.connection != UNCONFIRMED and self.token != UNCONFIRMED

    def to_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "organisation": None
            if self.tenant_id is None
            else {"tenant_id": self.tenant_id, "name": self.tenant_name},
            "everywhere": self.everywhere,
            "connection": self.connection,
            "refresh_token": self.token,
            "confirmed_at_xero": self.confirmed,
            "left_in_place": [kept.to_json() for kept in self.left_in_place],
            "cut_off": self.cut_off,
            "possibly_cut_off": self.possibly_cut_off,
            "notes": self.notes,
            "local_tokens_cleared": True,
            "store_kept": self.store_kept,
        }


def plan_disconnect(
    settings: Settings,
    company: str,
    *,
    everywhere: bool = False,
    store: TokenStore | None = None,
) -> DisconnectPlan:
    """What `disconnect` will do; NotConnected when there is nothing to disconnect."""
    store = store or TokenStore(settings)
    try:
        record = store.load(company)
    except DamagedTokenFile:
        return DisconnectPlan(company, None, None, everywhere)  # disconnect is one way to clear it
    if record is None or not (record.tenant_id or record.refresh_token):
        raise not_connected(company)
    return DisconnectPlan(company, record, local_sharing(store, record), everywhere)


def disconnect(
    settings: Settings,
    company: str,
    *,
    everywhere: bool = False,
    plan: DisconnectPlan | None = None,
    store: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DisconnectOutcome:
    store = store or TokenStore(settings)
    plan = plan or plan_disconnect(settings, company, everywhere=everywhere, store=store)
    if plan.record is None or plan.sharing is None:
        return _clear_damaged(settings, store, company)
    record, sharing = plan.record, plan.sharing
    # A configuration that cannot talk to Xero is not Xero being unreachable: nothing is
    # cleared here that would still be connected there.
    require_client_id(settings)
    outcome = DisconnectOutcome(
        company, record.tenant_id, record.tenant_name, everywhere=plan.everywhere
    )
    if plan.everywhere or not sharing.same_connection:
        _remove_connection(settings, company, record, store, transport, outcome)
    else:
        outcome.connection = KEPT
        outcome.left_in_place.append(_connection_kept(record, sharing))
    if plan.everywhere or not sharing.shared_user:
        fresh = store.load(company) or record  # the connections call may have refreshed it
        _revoke(settings, fresh, transport, outcome)
    else:
        outcome.token = KEPT
        outcome.left_in_place.append(_token_kept(sharing))

    with store.lock(company):
        store.save(record.cleared())
    if plan.everywhere:
        _mark_cut_off(store, plan, outcome)
    _note_store(outcome, settings)
    return outcome


def _remove_connection(
    settings: Settings,
    company: str,
    record: CompanyTokens,
    store: TokenStore,
    transport: httpx.BaseTransport | None,
    outcome: DisconnectOutcome,
) -> None:
    from uku_xero_cli.xero.client import XeroClient

    try:
        with XeroClient(settings, company, store=store, transport=transport) as client:
            ours = next((c for c in client.connections() if c.tenant_id == record.tenant_id), None)
            if ours is None:
                outcome.connection = ALREADY_GONE
            else:
                outcome.connection = REMOVED if client.delete_connection(ours.id) else ALREADY_GONE
    except UkuXeroError as exc:
        outcome.notes.append(f"could not confirm the connection was removed at Xero: {exc}")


def _revoke(
    settings: Settings,
    record: CompanyTokens,
    transport: httpx.BaseTransport | None,
    outcome: DisconnectOutcome,
) -> None:
    from uku_xero_cli.oauth.flow import IdentityClient

    if not record.refresh_token:
        return
    try:
        IdentityClient(settings, company=record.company, transport=transport).revoke(
            record.refresh_token
        )
        outcome.token = REVOKED
    except UkuXeroError as exc:
        outcome.notes.append(f"could not confirm the refresh token was revoked: {exc}")


def _connection_kept(record: CompanyTokens, sharing: Sharing) -> LeftInPlace:
    organisation = record.tenant_name or record.tenant_id
    return LeftInPlace(
        CONNECTION,
        sharing.same_connection,
        f"the connection to {organisation}, because {_names(sharing.same_connection)} "
        f"{'uses' if len(sharing.same_connection) == 1 else 'use'} it too (Xero keeps one "
        "connection per user and organisation) and deleting it would disconnect them",
    )


def _token_kept(sharing: Sharing) -> LeftInPlace:
    reasons = []
    if sharing.same_user:
        reasons.append(f"the same Xero user connected {_names(sharing.same_user)}")
    if sharing.maybe_same_user:
        if sharing.user_known:
            unknown = f"the Xero user of {_names(sharing.maybe_same_user)} is not on file"
        else:
            unknown = f"the Xero user of '{sharing.company}' is not on file"
        reasons.append(f"{_names(sharing.maybe_same_user)} may share that user ({unknown})")
    return LeftInPlace(
        REFRESH_TOKEN,
        sharing.shared_user,
        f"the refresh token, because {'; '.join(reasons)}, and revoking it removes every "
        "connection of that user to the app",
    )


def _mark_cut_off(store: TokenStore, plan: DisconnectPlan, outcome: DisconnectOutcome) -> None:
    """Companies of the same Xero user lost their sign-in (a revoked token), or at least their
    connection: mark them now, so that `status --offline` and `companies` say so at once.
    Those whose user is not on file may have kept theirs: Xero tells at their next call."""
    why = f"`uku-xero disconnect -c {plan.company} --everywhere`"
    marks: list[tuple[str, str, str]] = []
    if outcome.token == REVOKED:
        reason = f"{why} revoked the Xero user's refresh token and connections"
        marks = [(name, reason, TOKEN_REFUSED) for name in plan.cut_off]
    elif outcome.connection == REMOVED and plan.sharing is not None:
        reason = f"{why} removed the organisation's connection"
        shared = set(plan.sharing.same_connection)
        marks = [(name, reason, TENANT_GONE) for name in plan.cut_off if name in shared]
    for name, reason, cause in marks:
        if store.mark_needs_reauth(name, reason, cause=cause) is not None:
            outcome.cut_off.append(name)
    outcome.possibly_cut_off = list(plan.possibly_cut_off)


def _clear_damaged(settings: Settings, store: TokenStore, company: str) -> DisconnectOutcome:
    """Replace an unreadable token file with a cleared record. Without its tokens nothing can
    be asked of Xero, so the outcome says what to check there by hand."""
    outcome = DisconnectOutcome(company, None, None)
    outcome.notes.append(
        "the token file was damaged, so nothing could be removed or revoked at Xero: if the "
        "organisation still lists uku-xero under Settings > Connected apps in Xero, "
        "disconnect it there"
    )
    with store.lock(company):
        store.save(CompanyTokens(company=company).cleared())
    _note_store(outcome, settings)
    return outcome


def _note_store(outcome: DisconnectOutcome, settings: Settings) -> None:
    from uku_xero_cli.store.layout import CompanyFiles

    files = CompanyFiles(settings, outcome.company)
    if files.has_stores:
        outcome.store_kept = str(files.directory)
