"""Bearer token and xero-tenant-id checks in front of every accounting call."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from uku_xero_cli.sandbox.http import Request, Response, Route
from uku_xero_cli.sandbox.state import AccessToken, Organisation

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox

# Xero grants the broad scope of older apps in place of the granular ones.
BROAD_SCOPES = {
    "accounting.invoices": "accounting.transactions",
    "accounting.invoices.read": "accounting.transactions.read",
    "accounting.payments": "accounting.transactions",
    "accounting.payments.read": "accounting.transactions.read",
    "accounting.banktransactions": "accounting.transactions",
    "accounting.banktransactions.read": "accounting.transactions.read",
    "accounting.manualjournals": "accounting.transactions",
    "accounting.manualjournals.read": "accounting.transactions.read",
}


def problem(status: int, title: str, detail: str) -> Response:
    """Xero's problem-details body for 401 and 403."""
    return Response.json(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        },
        status=status,
    )


def _scope_ok(token_scopes: list[str], needed: tuple[str, ...]) -> bool:
    if not needed:
        return True
    have = set(token_scopes)
    for scope in needed:
        if scope in have or BROAD_SCOPES.get(scope) in have:
            return True
        if scope.endswith(".read") and scope[:-5] in have:
            return True
    return False


def bearer_token(sandbox: Sandbox, request: Request) -> AccessToken | Response:
    """The live access token of the request, or Xero's 401."""
    header = request.header("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return problem(401, "Unauthorized", "AuthenticationUnsuccessful")
    with sandbox.state.lock:
        token = sandbox.state.access_tokens.get(value.strip())
    if token is None or token.revoked:
        return problem(401, "Unauthorized", "AuthenticationUnsuccessful")
    if token.expires_at <= sandbox.clock.now():
        stamp = token.expires_at.strftime("%m/%d/%Y %H:%M:%S")
        return problem(401, "Unauthorized", f"TokenExpired: token expired at {stamp}")
    return token


def authorize_api(
    sandbox: Sandbox, request: Request, route: Route
) -> tuple[AccessToken, Organisation] | Response:
    token = bearer_token(sandbox, request)
    if isinstance(token, Response):
        return token
    tenant_id = (request.header("xero-tenant-id") or "").strip().lower()
    state = sandbox.state
    with state.lock:
        connected = {c.tenant_id for c in state.connections_for(token.client_id, token.user_id)}
        org = state.org_by_tenant(tenant_id) if tenant_id else None
    if org is None or org.tenant_id not in connected:
        return problem(403, "Forbidden", "AuthenticationUnsuccessful")
    if not _scope_ok(token.scopes, route.scopes):
        return problem(401, "Unauthorized", "AuthorizationUnsuccessful")
    return token, org
