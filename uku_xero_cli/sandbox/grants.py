"""Issuing grants: connections and token sets, shared by the identity endpoints and tests.

`connect` records that a user consented an app to some organisations (one auth event);
`issue_tokens` mints an access token (and a refresh token with offline_access) for it.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.state import AccessToken, Connection, RefreshToken

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox


def connect(sandbox: Sandbox, client_id: str, user_id: str, tenant_ids: list[str]) -> str:
    """Connect the app to `tenant_ids` for the user; returns the auth event id.

    Reconnecting an organisation keeps its connection id and bumps updatedDateUtc, as Xero does.
    """
    now = sandbox.clock.now()
    auth_event_id = str(uuid.uuid4())
    state = sandbox.state
    with state.lock:
        existing = {c.tenant_id: c for c in state.connections_for(client_id, user_id)}
        for tenant_id in tenant_ids:
            if tenant_id in existing:
                existing[tenant_id].updated = now
                existing[tenant_id].auth_event_id = auth_event_id
            else:
                connection = Connection(
                    id=str(uuid.uuid4()),
                    tenant_id=tenant_id,
                    client_id=client_id,
                    user_id=user_id,
                    auth_event_id=auth_event_id,
                    created=now,
                    updated=now,
                )
                state.connections[connection.id] = connection
    return auth_event_id


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    # The emulator signs nothing; uku-xero reads the id_token's claims only for display.
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def issue_tokens(
    sandbox: Sandbox,
    client_id: str,
    user_id: str,
    scopes: list[str],
    auth_event_id: str,
    *,
    nonce: str | None = None,
    parent: str | None = None,
) -> dict[str, Any]:
    """A token response as Xero's /connect/token sends it.

    `parent` is the refresh token this answer was issued for, linking the rotation chain.
    """
    now = sandbox.clock.now()
    config = sandbox.config
    state = sandbox.state
    access = AccessToken(
        token=secrets.token_urlsafe(48),
        client_id=client_id,
        user_id=user_id,
        scopes=list(scopes),
        auth_event_id=auth_event_id,
        expires_at=now + timedelta(seconds=config.access_token_ttl),
    )
    answer: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": config.access_token_ttl,
        "token_type": "Bearer",
        "scope": " ".join(scopes),
    }
    with state.lock:
        state.access_tokens[access.token] = access
        if "offline_access" in scopes:
            refresh = RefreshToken(
                token=secrets.token_hex(32),
                client_id=client_id,
                user_id=user_id,
                scopes=list(scopes),
                auth_event_id=auth_event_id,
                issued_at=now,
                parent=parent,
            )
            state.refresh_tokens[refresh.token] = refresh
            answer["refresh_token"] = refresh.token
        user = state.users[user_id]
    if "openid" in scopes:
        claims: dict[str, Any] = {
            "iss": "https://identity.xero.com",
            "aud": client_id,
            "sub": user.user_id,
            "xero_userid": user.user_id,
            "global_session_id": auth_event_id,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + 300,
            "auth_time": int(now.timestamp()),
        }
        if nonce:
            claims["nonce"] = nonce
        if "profile" in scopes:
            claims.update(
                name=user.name,
                given_name=user.given_name,
                family_name=user.family_name,
                preferred_username=user.email,
            )
        if "email" in scopes:
            claims["email"] = user.email
        answer["id_token"] = _unsigned_jwt(claims)
    return answer


def revoke_grant(sandbox: Sandbox, client_id: str, auth_event_id: str) -> None:
    """Revoke one authorisation: every token of its rotation chain and its connections.

    Tokens and connections share the auth event id of the consent that made them; a later
    consent moves reconnected organisations to its own event, so they survive this.
    """
    state = sandbox.state
    with state.lock:
        for refresh in state.refresh_tokens.values():
            if refresh.client_id == client_id and refresh.auth_event_id == auth_event_id:
                refresh.revoked = True
        for access in state.access_tokens.values():
            if access.client_id == client_id and access.auth_event_id == auth_event_id:
                access.revoked = True
        for code in state.codes.values():
            if code.client_id == client_id and code.auth_event_id == auth_event_id:
                code.used = True
        for connection_id, connection in list(state.connections.items()):
            if connection.client_id == client_id and connection.auth_event_id == auth_event_id:
                del state.connections[connection_id]


def grant_for_tests(
    sandbox: Sandbox,
    scopes: str = "offline_access openid profile email accounting.transactions "
    "accounting.contacts accounting.settings",
    *,
    client_id: str | None = None,
    tenant_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Connect the default user to every (or the given) organisation and issue tokens.

    For tests and benchmarks that need a token without walking the authorize redirect.
    """
    from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID

    client_id = client_id or PUBLIC_CLIENT_ID
    user = sandbox.state.default_user()
    tenants = tenant_ids if tenant_ids is not None else list(user.tenant_ids)
    event = connect(sandbox, client_id, user.user_id, tenants)
    return issue_tokens(sandbox, client_id, user.user_id, scopes.split(), event)
