"""The emulator's in-memory world: apps, users, organisations, grants, tokens, connections.

One `SandboxState` per emulator, guarded by one re-entrant lock: handlers take `state.lock`
around any read-modify-write so concurrent requests over real HTTP see consistent data.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.data import OrgData


@dataclass
class Organisation:
    tenant_id: str
    name: str
    base_currency: str
    country_code: str
    short_code: str
    tenant_type: str = "ORGANISATION"
    organisation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: datetime | None = None
    data: OrgData | None = None


@dataclass
class AppClient:
    client_id: str
    client_secret: str | None  # None: a PKCE public client
    redirect_uris: set[str]
    name: str = "Uku (sandbox)"


@dataclass
class User:
    """A Xero login. `user_id` is what Xero's tokens call `xero_userid`."""

    user_id: str
    name: str
    given_name: str
    family_name: str
    email: str
    tenant_ids: list[str]

    @property
    def subject(self) -> str:
        """The id token's `sub`. Xero sends it beside `xero_userid` (xero-node's XeroIdToken
        names both) and nothing says they are equal; the emulator makes them differ (a stable
        32-hex-digit value, its form a guess) so a client reading `sub` as the Xero user is
        caught."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"xero-user:{self.user_id}").hex


@dataclass
class Connection:
    id: str
    tenant_id: str
    client_id: str
    user_id: str
    auth_event_id: str
    created: datetime
    updated: datetime


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    user_id: str
    auth_event_id: str
    expires_at: datetime
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None
    used: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scopes: list[str]
    auth_event_id: str
    issued_at: datetime
    # Set when the token was exchanged: the token it rotated to and when. Reuse is accepted
    # until `used_at + refresh_grace` and then answered with invalid_grant.
    used_at: datetime | None = None
    successor: str | None = None
    revoked: bool = False
    # The token this one was issued for (None for the code exchange): the rotation chain.
    parent: str | None = None


@dataclass
class PendingConsent:
    """A checked authorize request waiting for a person to tick organisations on the page."""

    consent_id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    user_id: str
    expires_at: datetime
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    scopes: list[str]
    auth_event_id: str
    expires_at: datetime
    revoked: bool = False


class SandboxState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.orgs: dict[str, Organisation] = {}
        self.clients: dict[str, AppClient] = {}
        self.users: dict[str, User] = {}
        self.connections: dict[str, Connection] = {}
        self.codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.pending_consents: dict[str, PendingConsent] = {}

    def default_user(self) -> User:
        return next(iter(self.users.values()))

    def find_user(self, key: str | None) -> User | None:
        """The user with this id or email (case-insensitive); the first user for None."""
        if key is None:
            return self.default_user()
        wanted = key.strip().lower()
        with self.lock:
            for user in self.users.values():
                if wanted in (user.user_id.lower(), user.email.lower()):
                    return user
        return None

    def connections_for(self, client_id: str, user_id: str) -> list[Connection]:
        with self.lock:
            return [
                c
                for c in self.connections.values()
                if c.client_id == client_id and c.user_id == user_id
            ]

    def org_by_tenant(self, tenant_id: str) -> Organisation | None:
        return self.orgs.get(tenant_id.lower())
