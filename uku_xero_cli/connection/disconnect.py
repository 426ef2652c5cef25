"""Disconnecting a company from Xero: remove the tenant connection, revoke the refresh token,
clear the local tenant and tokens. The Uku-side store is kept.

Xero may be unreachable or the tokens already dead; the local side is cleared anyway and the
outcome says what could not be confirmed at Xero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uku_xero_cli.errors import DamagedTokenFile, UkuXeroError
from uku_xero_cli.settings import Settings, require_client_id
from uku_xero_cli.tokens import CompanyTokens, TokenStore, not_connected

if TYPE_CHECKING:
    import httpx

REMOVED = "removed"
ALREADY_GONE = "already_gone"
REVOKED = "revoked"
KEPT = "kept"
UNCONFIRMED = "unconfirmed"


@dataclass
class DisconnectOutcome:
    company: str
    tenant_id: str | None
    tenant_name: str | None
    connection: str = UNCONFIRMED  # removed / already_gone / unconfirmed
    token: str = UNCONFIRMED  # revoked / kept / unconfirmed
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
            "connection": self.connection,
            "refresh_token": self.token,
            "confirmed_at_xero": self.confirmed,
            "notes": self.notes,
            "local_tokens_cleared": True,
            "store_kept": self.store_kept,
        }


def disconnect(
    settings: Settings,
    company: str,
    *,
    store: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DisconnectOutcome:
    from uku_xero_cli.oauth.flow import IdentityClient
    from uku_xero_cli.xero.client import XeroClient

    store = store or TokenStore(settings)
    try:
        record = store.load(company)
    except DamagedTokenFile:
        return _clear_damaged(settings, store, company)
    if record is None or not (record.tenant_id or record.refresh_token):
        raise not_connected(company)
    # A configuration that cannot talk to Xero is not Xero being unreachable: nothing is
    # cleared here that would still be connected there.
    require_client_id(settings)
    outcome = DisconnectOutcome(company, record.tenant_id, record.tenant_name)
    shared_grant = False
    try:
        with XeroClient(settings, company, store=store, transport=transport) as client:
            connections = client.connections()
            ours = next((c for c in connections if c.tenant_id == record.tenant_id), None)
            if ours is None:
                outcome.connection = ALREADY_GONE
            else:
                removed = client.delete_connection(ours.id)
                outcome.connection = REMOVED if removed else ALREADY_GONE
            event = record.auth_event_id or (ours.auth_event_id if ours else None)
            shared_grant = _grant_shared(store, company, event, connections)
    except UkuXeroError as exc:
        outcome.notes.append(f"could not confirm the connection was removed at Xero: {exc}")

    fresh = store.load(company) or record
    if shared_grant:
        # Revoking ends every connection of the sign-in, and another company uses one of them.
        outcome.token = KEPT
        outcome.notes.append(
            "the refresh token was not revoked: the same Xero sign-in also connects another "
            "company here, and revoking it would disconnect that one too"
        )
    elif fresh.refresh_token:
        try:
            IdentityClient(settings, company=company, transport=transport).revoke(
                fresh.refresh_token
            )
            outcome.token = REVOKED
        except UkuXeroError as exc:
            outcome.notes.append(f"could not confirm the refresh token was revoked: {exc}")

    with store.lock(company):
        store.save(record.cleared())
    _note_store(outcome, settings)
    return outcome


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
    if settings.store_file(outcome.company).exists():
        outcome.store_kept = str(settings.store_file(outcome.company))


def _grant_shared(
    store: TokenStore, company: str, auth_event_id: str | None, connections: list[Any]
) -> bool:
    if not auth_event_id:
        return False
    siblings = {
        c.tenant_id
        for c in connections
        if c.auth_event_id == auth_event_id and c.tenant_id is not None
    }
    for other in store.companies():
        if other == company:
            continue
        try:
            record = store.load(other)
        except UkuXeroError:
            continue
        if record is not None and record.connected and record.tenant_id in siblings:
            return True
    return False
