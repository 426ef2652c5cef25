"""Idempotency-Key: a retried PUT/POST with the same key gets the first answer again.

Keys are kept per app, organisation, method and path for `config.idempotency_ttl` seconds of
the emulator's clock. As Xero does, the first answer is replayed even when the retry's body
differs. Write handlers run whole under the state lock, so two concurrent requests with one
key cannot both create.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books.errors import validation_exception
from uku_xero_cli.sandbox.books.listing import books
from uku_xero_cli.sandbox.http import Request, Response

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

MAX_KEY_LENGTH = 128
WriteHandler = Callable[..., Response]


def _copy(response: Response) -> Response:
    return Response(response.status, response.body, dict(response.headers))


def idempotent(handler: WriteHandler) -> WriteHandler:
    @wraps(handler)
    def replaying(
        sandbox: Sandbox,
        request: Request,
        *,
        org: Organisation,
        token: AccessToken,
        **params: Any,
    ) -> Response:
        key = (request.header("idempotency-key") or "").strip()
        if len(key) > MAX_KEY_LENGTH:
            return validation_exception(
                [
                    {
                        "ValidationErrors": [
                            {"Message": "Idempotency-Key must be 128 characters or less"}
                        ]
                    }
                ]
            )
        with sandbox.state.lock:
            if not key:
                return handler(sandbox, request, org=org, token=token, **params)
            data = books(org)
            now = sandbox.clock.timestamp()
            for scope in [scope for scope, (until, _) in data.replays.items() if until <= now]:
                del data.replays[scope]
            scope = (token.client_id, request.method, request.path.lower(), key)
            kept = data.replays.get(scope)
            if kept is not None:
                return _copy(kept[1])
            response = handler(sandbox, request, org=org, token=token, **params)
            data.replays[scope] = (now + sandbox.config.idempotency_ttl, _copy(response))
            return response

    return replaying
