"""Things that happen to a Xero user outside the API, done to the emulator's world directly.

The admin API (`admin.py`) is a thin HTTP layer over these; in-process tests call them too.
Each raises LookupError for an unknown organisation or connection and ValueError for bad input.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.state import AccessToken, Connection, Organisation, RefreshToken, User

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox

CONSENT_MODES = ("auto", "deny", "page")


def org(sandbox: Sandbox, tenant_id: str) -> Organisation:
    found = sandbox.state.org_by_tenant(tenant_id)
    if found is None:
        raise LookupError(f"no organisation with tenant id {tenant_id}")
    return found


def org_summary(organisation: Organisation) -> dict[str, Any]:
    """Identity of an organisation and how many records of each kind it holds."""
    counts: dict[str, int] = {}
    if organisation.data is not None and dataclasses.is_dataclass(organisation.data):
        for item in dataclasses.fields(organisation.data):
            value = getattr(organisation.data, item.name)
            if isinstance(value, (dict, list, tuple, set)):
                counts[item.name] = len(value)
    return {
        "tenantId": organisation.tenant_id,
        "name": organisation.name,
        "baseCurrency": organisation.base_currency,
        "countryCode": organisation.country_code,
        "shortCode": organisation.short_code,
        "counts": counts,
    }


def connection_summary(connection: Connection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "tenantId": connection.tenant_id,
        "clientId": connection.client_id,
        "userId": connection.user_id,
        "authEventId": connection.auth_event_id,
        "created": connection.created.isoformat(),
        "updated": connection.updated.isoformat(),
    }


def expire_access_tokens(sandbox: Sandbox) -> int:
    """Every live access token expires now, as if 30 minutes had passed; returns how many."""
    now = sandbox.clock.now()
    expired = 0
    with sandbox.state.lock:
        for access in sandbox.state.access_tokens.values():
            if not access.revoked and access.expires_at > now:
                # A second in the past, so "expired at" reads as a time already gone.
                access.expires_at = now - timedelta(seconds=1)
                expired += 1
    return expired


def revoke_org(sandbox: Sandbox, tenant_id: str) -> dict[str, int]:
    """Revoke every token that can reach the organisation and remove all its connections.

    Tokens belong to an app and user, not to one organisation, so every token of each app and
    user connected to it goes — as when the user revokes the app's access.
    """
    organisation = org(sandbox, tenant_id)
    state = sandbox.state
    with state.lock:
        doomed = {
            cid: c for cid, c in state.connections.items() if c.tenant_id == organisation.tenant_id
        }
        grants = {(c.client_id, c.user_id) for c in doomed.values()}
        revoked = 0
        tokens: list[AccessToken | RefreshToken] = [
            *state.access_tokens.values(),
            *state.refresh_tokens.values(),
        ]
        for token in tokens:
            if (token.client_id, token.user_id) in grants and not token.revoked:
                token.revoked = True
                revoked += 1
        for connection_id in doomed:
            del state.connections[connection_id]
    return {"tokens_revoked": revoked, "connections_removed": len(doomed)}


def disconnect(sandbox: Sandbox, connection_or_tenant_id: str) -> list[Connection]:
    """Remove a connection (by its id), or every connection of a tenant (by tenant id), as a
    user disconnecting the app inside Xero does. Tokens stay valid; calls to that tenant get 403.
    """
    wanted = connection_or_tenant_id.lower()
    state = sandbox.state
    with state.lock:
        removed = [
            c
            for c in state.connections.values()
            if c.id.lower() == wanted or c.tenant_id.lower() == wanted
        ]
        if not removed:
            raise LookupError(f"no connection or tenant {connection_or_tenant_id}")
        for connection in removed:
            del state.connections[connection.id]
    return removed


def set_consent(
    sandbox: Sandbox, mode: str, tenants: list[str] | None = None, user: str | None = None
) -> None:
    """How the authorize endpoint answers: consent automatically (to `tenants`, or to all of
    the user's organisations), deny, or show the page where a person ticks organisations —
    signed in as `user` (id or email; the first user when None)."""
    if mode not in CONSENT_MODES:
        raise ValueError(f"mode must be one of {', '.join(CONSENT_MODES)}, not {mode!r}")
    if tenants is not None:
        unknown = [t for t in tenants if sandbox.state.org_by_tenant(t) is None]
        if unknown:
            raise ValueError(f"no organisation with tenant id {', '.join(unknown)}")
        tenants = [org(sandbox, tenant).tenant_id for tenant in tenants]
    signing_in = sandbox.state.find_user(user)
    if signing_in is None:
        raise ValueError(f"no user with id or email {user}")
    sandbox.config.consent = mode
    sandbox.config.consent_tenants = tenants
    sandbox.config.consent_user = None if user is None else signing_in.user_id


def user_summary(user: User) -> dict[str, Any]:
    return {
        "userId": user.user_id,
        "name": user.name,
        "email": user.email,
        "tenantIds": list(user.tenant_ids),
    }


def add_user(
    sandbox: Sandbox, given_name: str, family_name: str, tenants: list[str] | None = None
) -> User:
    """Another Xero login, reaching `tenants` (every organisation when None), so a test can
    sign in as two people. Its email is made from its names and must be new."""
    given, family = given_name.strip(), family_name.strip()
    if not given or not family:
        raise ValueError("given_name and family_name must not be empty")
    email = f"{given}.{family}@sandbox.uku.example".lower().replace(" ", "")
    state = sandbox.state
    with state.lock:
        if state.find_user(email) is not None:
            raise ValueError(f"a user with email {email} exists")
        chosen = (
            list(state.orgs) if tenants is None else [org(sandbox, t).tenant_id for t in tenants]
        )
        user = User(
            user_id=str(uuid.uuid4()),
            name=f"{given} {family}",
            given_name=given,
            family_name=family,
            email=email,
            tenant_ids=chosen,
        )
        state.users[user.user_id] = user
    return user
