"""Idempotency-Key: a retried PUT/POST with the same key gets the first answer again.

Xero takes the header on every PUT/POST/PATCH, at most 128 characters (Xero's OpenAPI spec;
XeroAPI/Xero-OpenAPI PR #571 pointing at developer.xero.com's idempotency guide). Nothing we
found says how long Xero keeps a key or what it does with the same key and a different body;
both are modelled harshly and are configurable:

- lifetime: `config.idempotency_ttl` seconds of the emulator's clock, 300 by default — shorter
  than the "about 6 minutes" heard of (unconfirmed), so a client that leans on a key for
  longer than a retry takes fails here first;
- a different body (or query) under a kept key: `config.idempotency_mismatch`. "replay"
  (default) answers the first request's answer, so a client that reuses a key for other
  content is told it succeeded while nothing of the new content was saved; "process" treats
  it as a new request.

Keys are kept per app, organisation, method and path. Write handlers run whole under the
state lock, so two concurrent requests with one key cannot both create.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
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


MISMATCH_MODES = ("replay", "process")


@dataclass(frozen=True)
class KeptAnswer:
    """The first answer to a key, until when it is kept, and what its request sent."""

    until: float
    request: bytes
    response: Response


def _copy(response: Response) -> Response:
    return Response(response.status, response.body, dict(response.headers))


def _fingerprint(request: Request) -> bytes:
    """What makes two requests under one key the same request: their query and body."""
    return hashlib.sha256(request.query_string.encode() + b"\0" + request.body).digest()


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
            for scope in [scope for scope, kept in data.replays.items() if kept.until <= now]:
                del data.replays[scope]
            scope = (token.client_id, request.method, request.path.lower(), key)
            sent = _fingerprint(request)
            kept = data.replays.get(scope)
            if kept is not None and (
                kept.request == sent or sandbox.config.idempotency_mismatch == "replay"
            ):
                return _copy(kept.response)
            response = handler(sandbox, request, org=org, token=token, **params)
            if kept is None:
                until = now + sandbox.config.idempotency_ttl
                data.replays[scope] = KeptAnswer(until, sent, _copy(response))
            return response

    return replaying
