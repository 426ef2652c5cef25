"""What the emulator was sent, for tests to assert exactly what uku-xero sent and how often.

Secrets never enter the log: the Authorization header keeps only its scheme, and form or JSON
fields that carry codes, verifiers, tokens or secrets are replaced by `***`. Admin calls
(`/_sandbox/...`) are not logged, so a test's own set-up never shows up in its counts.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from uku_xero_cli.sandbox.http import Request, Response, Route

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.clock import Clock

MASK = "***"
SECRET_FIELDS = frozenset(
    {
        "code",
        "code_verifier",
        "refresh_token",
        "access_token",
        "id_token",
        "client_secret",
        "token",
        "password",
    }
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names, secrets masked
    body: Any  # parsed JSON or form (secrets masked), text, or None when empty
    status: int
    route: str | None
    timestamp: datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "route": self.route,
            "timestamp": self.timestamp.isoformat(),
        }


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    masked = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            # Keep the scheme: tests assert Bearer vs Basic without seeing the credential.
            value = f"{scheme} {MASK}" if rest else MASK
        masked[name.lower()] = value
    return masked


def mask_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: MASK if key.lower() in SECRET_FIELDS else mask_fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_fields(item) for item in value]
    return value


def parsed_body(request: Request) -> Any:
    if not request.body:
        return None
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    text = request.body.decode("utf-8", "replace")
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(text, keep_blank_values=True)
        return mask_fields({key: values[-1] for key, values in fields.items()})
    if content_type.endswith("json"):
        try:
            return mask_fields(json.loads(text))
        except ValueError:
            return text
    return text


def _masked_query(query: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        key: [MASK] * len(values) if key.lower() in SECRET_FIELDS else list(values)
        for key, values in query.items()
    }


class RequestLog:
    """Thread-safe, bounded record of every non-admin request and the status it got."""

    def __init__(self, clock: Clock | None = None, *, limit: int = 50_000) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)

    def record(self, request: Request, response: Response, route: Route | None) -> None:
        if route is not None and route.kind == "admin":
            return
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            query=_masked_query(request.query),
            headers=mask_headers(request.headers),
            body=parsed_body(request),
            status=response.status,
            route=route.name if route else None,
            timestamp=self._clock.now() if self._clock else datetime.now(UTC),
        )
        with self._lock:
            self._entries.append(entry)

    def entries(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
    ) -> list[LoggedRequest]:
        """A copy of the entries, oldest first; filters match paths case-insensitively."""
        with self._lock:
            snapshot = list(self._entries)
        prefix = path_prefix.lower() if path_prefix else None
        return [
            entry
            for entry in snapshot
            if (method is None or entry.method == method.upper())
            and (prefix is None or entry.path.lower().startswith(prefix))
            and (status is None or entry.status == status)
        ]

    def count(
        self, method: str | None = None, path_prefix: str | None = None, status: int | None = None
    ) -> int:
        return len(self.entries(method, path_prefix, status))

    def last(self, method: str | None = None, path_prefix: str | None = None) -> LoggedRequest:
        """The newest matching entry; LookupError when there is none."""
        found = self.entries(method, path_prefix)
        if not found:
            raise LookupError(f"no {method or 'request'} to {path_prefix or 'any path'} logged")
        return found[-1]

    def clear(self) -> int:
        """Forget every entry; returns how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
