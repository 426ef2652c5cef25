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

from uku_xero_cli.sandbox.state import AccessToken, AuthCode, Connection, RefreshToken

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox


def connect(sandbox: Sandbox, client_id: str, user_id: str, tenant_ids: list[str]) -> str:
    """Connect the app to `tenant_ids` for the user; returns the auth event id.

    Xero keeps one connection per app, user and organisation: a second sign-in by the same
    user to an organisation already connected reuses that connection (same id, createdDateUtc
    kept, updatedDateUtc and authEventId moved to the new sign-in), so every token set of that
    user reaches it through the one connection. Another user gets a connection of their own.
    (xero-node's README: revoking removes "all their connections to your app", and
    DELETE /connections/{id} removes one of them for every token set.)
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
        # The claims of Xero's id token as xero-node's XeroIdToken lists them (the user's
        # Xero id is `xero_userid`; `sub` is another value, see User.subject).
        claims: dict[str, Any] = {
            "iss": "https://identity.xero.com",
            "aud": client_id,
            "sub": user.subject,
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


def revoke_user(sandbox: Sandbox, client_id: str, user_id: str, auth_event_id: str) -> None:
    """Revoke a refresh token as Xero does: every connection of its user to the app goes
    (xero-node 4.10.1: revokeToken "revokes a users refresh token and removes all their
    connections to your app"; Xero staff in xero-ruby PR #125 say the same), with the tokens
    of that sign-in's rotation chain (`auth_event_id`). With
    `config.revoke_ends_other_sign_ins` (the default; unconfirmed) the token sets of the
    user's other sign-ins to the app end as well.
    """
    everything = sandbox.config.revoke_ends_other_sign_ins
    state = sandbox.state
    with state.lock:
        tokens: list[AccessToken | RefreshToken | AuthCode] = [
            *state.refresh_tokens.values(),
            *state.access_tokens.values(),
            *state.codes.values(),
        ]
        for token in tokens:
            if token.client_id != client_id or token.user_id != user_id:
                continue
            if everything or token.auth_event_id == auth_event_id:
                if isinstance(token, AuthCode):
                    token.used = True
                else:
                    token.revoked = True
        for connection in state.connections_for(client_id, user_id):
            del state.connections[connection.id]


def grant_for_tests(
    sandbox: Sandbox,
    scopes: str = "offline_access openid profile email accounting.transactions "
    "accounting.contacts accounting.settings",
    *,
    client_id: str | None = None,
    tenant_ids: list[str] | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    """Connect a user (by id or email; the first user by default) to every (or the given)
    organisation and issue tokens.

    For tests and benchmarks that need a token without walking the authorize redirect.
    """
    from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID

    client_id = client_id or PUBLIC_CLIENT_ID
    found = sandbox.state.find_user(user)
    if found is None:
        raise LookupError(f"no user {user}")
    tenants = tenant_ids if tenant_ids is not None else list(found.tenant_ids)
    event = connect(sandbox, client_id, found.user_id, tenants)
    return issue_tokens(sandbox, client_id, found.user_id, scopes.split(), event)
