"""`/identity/connect/authorize`: request checks, consent (automatic or a page) and codes.

Errors before the redirect URI is trusted (unknown client, unregistered redirect URI) are an
HTML page on the emulator itself, as Xero shows: redirecting there would hand an error, or a
code, to a URI nobody registered. Every later error goes back to the app as `?error=...`.

Connections are made at consent, before any code is exchanged, as at Xero: an app whose code
exchange fails still appears under the user's connected apps.
"""

from __future__ import annotations

import html
import re
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from uku_xero_cli.sandbox.grants import connect
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.state import AuthCode, PendingConsent, User

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox

# Scopes Xero's identity server knows: OpenID Connect, offline access, the broad accounting
# scopes of older apps, the granular ones of apps created from March 2026, and the rest the
# accounting spec lists.
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.transactions",
        "accounting.transactions.read",
        "accounting.contacts",
        "accounting.contacts.read",
        "accounting.settings",
        "accounting.settings.read",
        "accounting.invoices",
        "accounting.invoices.read",
        "accounting.payments",
        "accounting.payments.read",
        "accounting.banktransactions",
        "accounting.banktransactions.read",
        "accounting.manualjournals",
        "accounting.manualjournals.read",
        "accounting.reports.read",
        "accounting.reports.tenninetynine.read",
        "accounting.budgets.read",
        "accounting.journals.read",
        "accounting.attachments",
        "accounting.attachments.read",
        "paymentservices",
    }
)
# Scopes about the user rather than an organisation: asking only for these connects nothing.
USER_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})

# An S256 challenge is the unpadded base64url of a SHA-256 digest: always 43 characters.
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class _Refused(Exception):
    """An authorize request answered with a redirect carrying `error` (and state)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.description = description


# Every page of the emulator: a language, and a viewport so a phone lays it out at its width.
_HEAD = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
)


def error_page(message: str, status: int = 400) -> Response:
    """Xero's own error page for a request it will not redirect: "Sorry, something went
    wrong" and the error (as quoted in xero-netstandard-oauth2-samples#5 and
    xero-python#110). What HTTP status Xero's page carries is unconfirmed; the emulator
    answers 400."""
    text = (
        f"{_HEAD}<title>Error</title></head>"
        f"<body><h1>Sorry, something went wrong</h1><p>Error: {html.escape(message)}</p>"
        "</body></html>"
    )
    return Response.html(text, status)


def _redirect(uri: str, params: dict[str, str | None]) -> Response:
    return Response.redirect(uri, {k: v for k, v in params.items() if v is not None})


def authorize(sandbox: Sandbox, request: Request) -> Response:
    """GET: check the request, then consent as `config.consent` says."""
    client_id = request.arg("client_id") or ""
    redirect_uri = request.arg("redirect_uri") or ""
    with sandbox.state.lock:
        client = sandbox.state.clients.get(client_id)
    # An unknown client id is refused on Xero's error page, never redirected (xero-python#110
    # and xero-postman-oauth2#9 show these words, fixed by correcting the client id;
    # developer.xero.com's OAuth 2.0 troubleshooting lists a wrong client_id among the causes
    # of that page), and so is an unregistered redirect URI
    # (xero-netstandard-oauth2-samples#5).
    if client is None:
        return error_page("unauthorized_client : Unknown client or client not enabled")
    if redirect_uri not in client.redirect_uris:
        return error_page("unauthorized_client : Invalid redirect_uri")
    state = request.arg("state")
    # Who signs in: the emulator has no login page, so the admin API (or config) chooses.
    user = sandbox.state.find_user(sandbox.config.consent_user)
    if user is None:
        return error_page(f"sandbox consent user {sandbox.config.consent_user!r} is unknown", 500)
    try:
        pending = _checked_request(sandbox, request, user, public=client.client_secret is None)
    except _Refused as refused:
        params = {"error": refused.error, "error_description": refused.description}
        return _redirect(redirect_uri, {**params, "state": state})
    mode = sandbox.config.consent
    if mode == "deny":
        return _redirect(redirect_uri, {"error": "access_denied", "state": state})
    if mode == "page":
        with sandbox.state.lock:
            sandbox.state.pending_consents[pending.consent_id] = pending
        return Response.html(_consent_page(sandbox, pending, user))
    if mode != "auto":
        return error_page(f"sandbox consent mode {mode!r} is not one of auto, deny, page", 500)
    return _issue_code(sandbox, pending, _auto_tenants(sandbox, user, pending.scopes))


def _checked_request(
    sandbox: Sandbox, request: Request, user: User, *, public: bool
) -> PendingConsent:
    """The request's parameters once response_type, scopes and PKCE pass."""
    if request.arg("response_type") != "code":
        raise _Refused("unsupported_response_type")
    scopes = _checked_scopes(sandbox, request.arg("scope") or "")
    challenge = request.arg("code_challenge")
    method = request.arg("code_challenge_method")
    if challenge is None and public:
        raise _Refused("invalid_request", "code challenge required")
    if challenge is not None:
        # "plain" would let anyone who sees the authorize URL redeem the code.
        if method != "S256":
            raise _Refused("invalid_request", "transform algorithm not supported")
        if not _S256_CHALLENGE.match(challenge):
            raise _Refused("invalid_request", "invalid code_challenge")
    return PendingConsent(
        consent_id=secrets.token_urlsafe(24),
        client_id=request.arg("client_id") or "",
        redirect_uri=request.arg("redirect_uri") or "",
        scopes=scopes,
        user_id=user.user_id,
        expires_at=sandbox.clock.now() + timedelta(seconds=sandbox.config.consent_ttl),
        state=request.arg("state"),
        code_challenge=challenge,
        code_challenge_method=method if challenge is not None else None,
        nonce=request.arg("nonce"),
    )


def _checked_scopes(sandbox: Sandbox, requested: str) -> list[str]:
    scopes = list(dict.fromkeys(requested.split()))
    allowed = sandbox.config.allowed_scopes
    if not scopes:
        raise _Refused("invalid_scope")
    for scope in scopes:
        if scope not in KNOWN_SCOPES or (allowed is not None and scope not in allowed):
            raise _Refused("invalid_scope")
    return scopes


def _auto_tenants(sandbox: Sandbox, user: User, scopes: list[str]) -> list[str]:
    if not set(scopes) - USER_SCOPES:
        return []
    chosen = sandbox.config.consent_tenants
    if chosen is None:
        return list(user.tenant_ids)
    wanted = {tenant.lower() for tenant in chosen}
    return [tenant for tenant in user.tenant_ids if tenant.lower() in wanted]


def _issue_code(sandbox: Sandbox, pending: PendingConsent, tenant_ids: list[str]) -> Response:
    """Record the consent (the connections) and send the app its single-use code."""
    event = connect(sandbox, pending.client_id, pending.user_id, tenant_ids)
    code = AuthCode(
        code=secrets.token_hex(32),
        client_id=pending.client_id,
        redirect_uri=pending.redirect_uri,
        scopes=list(pending.scopes),
        user_id=pending.user_id,
        auth_event_id=event,
        expires_at=sandbox.clock.now() + timedelta(seconds=sandbox.config.code_ttl),
        code_challenge=pending.code_challenge,
        code_challenge_method=pending.code_challenge_method,
        nonce=pending.nonce,
    )
    with sandbox.state.lock:
        sandbox.state.codes[code.code] = code
    # Xero sends the granted scopes back with the code as well.
    params = {"code": code.code, "scope": " ".join(code.scopes), "state": pending.state}
    return _redirect(pending.redirect_uri, params)


def consent(sandbox: Sandbox, request: Request) -> Response:
    """POST from the consent page: the person's decision and ticked organisations."""
    fields = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    consent_id = (fields.get("consent_id") or [""])[-1]
    decision = (fields.get("decision") or [""])[-1]
    ticked = {tenant.lower() for tenant in fields.get("tenant", [])}
    state = sandbox.state
    with state.lock:
        pending = state.pending_consents.get(consent_id)
        if pending is None or pending.expires_at <= sandbox.clock.now():
            state.pending_consents.pop(consent_id, None)
            return error_page("This authorisation request has expired. Start again from the app.")
        user = state.users[pending.user_id]
        # Only scopes on organisations make connections, whatever the form claims.
        wants_orgs = bool(set(pending.scopes) - USER_SCOPES)
        chosen = [t for t in user.tenant_ids if wants_orgs and t.lower() in ticked]
        if decision == "allow" and wants_orgs and not chosen:
            page = _consent_page(sandbox, pending, user, "Choose at least one organisation.")
            return Response.html(page, 400)
        # The page is single-use, like the code it leads to.
        del state.pending_consents[consent_id]
    if decision != "allow":
        return _redirect(pending.redirect_uri, {"error": "access_denied", "state": pending.state})
    return _issue_code(sandbox, pending, chosen)


def _consent_page(
    sandbox: Sandbox, pending: PendingConsent, user: User, problem: str | None = None
) -> str:
    client = sandbox.state.clients[pending.client_id]
    esc = html.escape
    rows = []
    if set(pending.scopes) - USER_SCOPES:
        for tenant_id in user.tenant_ids:
            org = sandbox.state.orgs[tenant_id]
            rows.append(
                f"<li><label><input type='checkbox' name='tenant' value='{esc(tenant_id)}'> "
                f"{esc(org.name)} ({esc(org.base_currency)})</label></li>"
            )
    scopes = "".join(f"<li>{esc(scope)}</li>" for scope in pending.scopes)
    warning = f"<p class='problem'>{esc(problem)}</p>" if problem else ""
    return (
        f"{_HEAD}<title>Connect {esc(client.name)}</title></head><body>"
        f"<h1>{esc(client.name)} wants access to your Xero data</h1>"
        f"<p>Signed in as {esc(user.name)} ({esc(user.email)})</p>{warning}"
        f"<p>It asks for:</p><ul>{scopes}</ul>"
        "<form method='post' action='/identity/connect/authorize'>"
        f"<input type='hidden' name='consent_id' value='{esc(pending.consent_id)}'>"
        f"<ul class='organisations'>{''.join(rows)}</ul>"
        "<button type='submit' name='decision' value='allow'>Allow access</button> "
        "<button type='submit' name='decision' value='deny'>Cancel</button>"
        "</form></body></html>"
    )
