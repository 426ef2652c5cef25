"""Xero's identity service and connections API, as the emulator serves them.

- `GET /identity/connect/authorize` (+ `POST` from the consent page): identity_authorize.py.
  Connections are made at consent time, as at Xero, not when the code is exchanged.
- `POST /connect/token`, `POST /connect/revocation`: identity_token.py (rotation and grace
  semantics are described there).
- `GET /connections`, `DELETE /connections/{id}`: below. Xero's spec spells the path
  `/Connections`; the router matches paths case-insensitively, so both spellings work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox import guard
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.identity_authorize import authorize, consent
from uku_xero_cli.sandbox.identity_token import revoke, token
from uku_xero_cli.sandbox.state import Connection

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox


def register(sandbox: Sandbox) -> None:
    """Add this module's routes to `sandbox.router`."""
    add = sandbox.router.add
    add("GET", "/identity/connect/authorize", authorize, kind="identity")
    add("POST", "/identity/connect/authorize", consent, kind="identity")
    add("POST", "/connect/token", token, kind="identity")
    add("POST", "/connect/revocation", revoke, kind="identity")
    add(
        "GET",
        "/connections",
        list_connections,
        kind="identity",
        spec=("identity", "/Connections"),
    )
    add(
        "DELETE",
        "/connections/{id}",
        delete_connection,
        kind="identity",
        spec=("identity", "/Connections/{id}"),
    )


def xero_utc(moment: datetime) -> str:
    """Xero's connection timestamps: UTC without an offset, seven fractional digits."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    # Python keeps microseconds (six digits); .NET ticks add a seventh.
    return naive.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def _connection_json(sandbox: Sandbox, connection: Connection) -> dict[str, Any]:
    org = sandbox.state.orgs[connection.tenant_id]
    return {
        "id": connection.id,
        "authEventId": connection.auth_event_id,
        "tenantId": connection.tenant_id,
        "tenantType": org.tenant_type,
        "tenantName": org.name,
        "createdDateUtc": xero_utc(connection.created),
        "updatedDateUtc": xero_utc(connection.updated),
    }


def list_connections(sandbox: Sandbox, request: Request) -> Response:
    """The token's app and user's connections, optionally those of one auth event."""
    access = guard.bearer_token(sandbox, request)
    if isinstance(access, Response):
        return access
    event = (request.arg("authEventId") or "").strip().lower()
    with sandbox.state.lock:
        connections = sandbox.state.connections_for(access.client_id, access.user_id)
        if event:
            connections = [c for c in connections if c.auth_event_id.lower() == event]
        connections.sort(key=lambda c: c.created)
        body = [_connection_json(sandbox, c) for c in connections]
    return Response.json(body)


# `id` is the path parameter's name in Xero's spec, which strict mode matches on.
def delete_connection(sandbox: Sandbox, request: Request, id: str) -> Response:
    """Disconnect one organisation: 204, or 404 when it is not this app and user's."""
    access = guard.bearer_token(sandbox, request)
    if isinstance(access, Response):
        return access
    wanted = id.strip().lower()
    state = sandbox.state
    with state.lock:
        for connection in state.connections_for(access.client_id, access.user_id):
            if connection.id.lower() == wanted:
                del state.connections[connection.id]
                return Response.empty(204)
    return Response.json(
        {"Type": None, "Title": "Not Found", "Status": 404, "Detail": "Connection not found"},
        status=404,
    )
