"""`/connect/token` and `/connect/revocation`: client authentication, grants and rotation.

Errors are Xero's bare OAuth bodies, e.g. 400 `{"error":"invalid_grant"}`: Xero adds no
description, and uku-xero must cope with exactly that.

Refresh rotation: the first use of a refresh token rotates it (its `successor`). Using it again
within `config.refresh_grace` of that first use is accepted and answered with a new token pair
(a fresh access token and another new refresh token, linked to the same token by `parent`), as
Xero's identity server issues new tokens for every accepted refresh; each pair stays valid on
its own, so whichever answer a client kept works. After the grace, reuse is invalid_grant;
the tokens already issued are left alone. Every token of one authorisation shares its auth
event id, so revoking any of them revokes the whole chain; revoking a refresh token also
removes all of its user's connections to the app (grants.revoke_user).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from uku_xero_cli.sandbox.grants import issue_tokens, revoke_user
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.state import AppClient, RefreshToken

if TYPE_CHECKING:
    from datetime import datetime

    from uku_xero_cli.sandbox.app import Sandbox

# RFC 7636: 43 to 128 characters of the unreserved set.
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
# Token answers must never be cached (RFC 6749 section 5.1).
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(error: str, status: int = 400, *, basic: bool = False) -> Response:
    headers = dict(_NO_STORE)
    if basic:
        # A client that tried HTTP Basic is told which scheme to retry with (RFC 6749 5.2).
        headers["WWW-Authenticate"] = 'Basic realm="identity"'
    return Response.json({"error": error}, status=status, headers=headers)


def _form(request: Request) -> dict[str, str] | None:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    return request.form()


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """The (client_id, secret) of an HTTP Basic header; ("", "") when it is malformed."""
    scheme, _, value = (request.header("authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return ("", "")
    # RFC 6749 2.3.1: both halves are form-encoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(sandbox: Sandbox, request: Request, form: dict[str, str]) -> AppClient:
    """The calling app: Basic or client_secret_post for confidential apps, client_id for PKCE.

    Raises `_ClientRefused` carrying Xero's 401 invalid_client.
    """
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise _ClientRefused(basic=True)
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    with sandbox.state.lock:
        client = sandbox.state.clients.get(client_id)
    if client is None:
        raise _ClientRefused(basic=basic is not None)
    if client.client_secret is None:
        # A public client has no secret to check; sending one means a misconfigured app.
        if secret:
            raise _ClientRefused(basic=basic is not None)
        return client
    if not hmac.compare_digest(secret.encode(), client.client_secret.encode()):
        raise _ClientRefused(basic=basic is not None)
    return client


class _ClientRefused(Exception):
    def __init__(self, *, basic: bool) -> None:
        super().__init__("invalid_client")
        self.basic = basic

    def response(self) -> Response:
        return oauth_error("invalid_client", 401, basic=self.basic)


def token(sandbox: Sandbox, request: Request) -> Response:
    form = _form(request)
    if form is None:
        return oauth_error("invalid_request")
    grant_type = form.get("grant_type")
    grants = {"authorization_code": _code_grant, "refresh_token": _refresh_grant}
    if grant_type not in grants:
        return oauth_error("unsupported_grant_type" if grant_type else "invalid_request")
    try:
        client = authenticate_client(sandbox, request, form)
    except _ClientRefused as refused:
        return refused.response()
    with sandbox.state.lock:
        answer = grants[grant_type](sandbox, client, form)
    if answer is None:
        return oauth_error("invalid_grant")
    return Response.json(answer, headers=_NO_STORE)


def _code_grant(sandbox: Sandbox, client: AppClient, form: dict[str, str]) -> dict[str, Any] | None:
    """Exchange a code; None means invalid_grant. Runs under the state lock."""
    code = sandbox.state.codes.get(form.get("code", ""))
    if code is None or code.used or code.client_id != client.client_id:
        return None
    # Spent on the first attempt, right or wrong, so a verifier cannot be guessed at.
    code.used = True
    if code.expires_at <= sandbox.clock.now():
        return None
    if form.get("redirect_uri") != code.redirect_uri:
        return None
    verifier = form.get("code_verifier")
    if code.code_challenge is not None:
        if verifier is None or not _verifier_matches(verifier, code.code_challenge):
            return None
    elif verifier is not None:
        return None
    return issue_tokens(
        sandbox, client.client_id, code.user_id, code.scopes, code.auth_event_id, nonce=code.nonce
    )


def _verifier_matches(verifier: str, challenge: str) -> bool:
    if not _VERIFIER.match(verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(computed, challenge)


def _refresh_grant(
    sandbox: Sandbox, client: AppClient, form: dict[str, str]
) -> dict[str, Any] | None:
    """Rotate a refresh token; None means invalid_grant. Runs under the state lock."""
    now = sandbox.clock.now()
    refresh = sandbox.state.refresh_tokens.get(form.get("refresh_token", ""))
    if refresh is None or refresh.client_id != client.client_id:
        return None
    if not _refresh_usable(sandbox, refresh, now):
        return None
    answer = issue_tokens(
        sandbox,
        refresh.client_id,
        refresh.user_id,
        refresh.scopes,
        refresh.auth_event_id,
        parent=refresh.token,
    )
    if refresh.used_at is None:
        refresh.used_at = now
        refresh.successor = answer["refresh_token"]
    return answer


def _refresh_usable(sandbox: Sandbox, refresh: RefreshToken, now: datetime) -> bool:
    config = sandbox.config
    if refresh.revoked:
        return False
    if refresh.used_at is not None:
        return now < refresh.used_at + timedelta(seconds=config.refresh_grace)
    return now < refresh.issued_at + timedelta(seconds=config.refresh_token_ttl)


def revoke(sandbox: Sandbox, request: Request) -> Response:
    """Revoke a refresh token (its user's connections to the app go too: grants.revoke_user),
    or a single access token (RFC 7009)."""
    form = _form(request)
    if form is None or not form.get("token"):
        return oauth_error("invalid_request")
    try:
        client = authenticate_client(sandbox, request, form)
    except _ClientRefused as refused:
        return refused.response()
    value = form["token"]
    state = sandbox.state
    with state.lock:
        refresh = state.refresh_tokens.get(value)
        access = state.access_tokens.get(value)
        found = refresh or access
        # An unknown token is answered 200: the client's goal, a dead token, is met.
        if found is None:
            return Response(200, b"", dict(_NO_STORE))
        if found.client_id != client.client_id:
            return oauth_error("unauthorized_client")
        if refresh is not None:
            revoke_user(sandbox, refresh.client_id, refresh.user_id, refresh.auth_event_id)
        elif access is not None:
            access.revoked = True
    return Response(200, b"", dict(_NO_STORE))
