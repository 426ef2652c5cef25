"""What the emulator was sent, for tests to assert on. (Placeholder: see issue 2.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from uku_xero_cli.sandbox.http import Request, Response, Route


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    route: str | None


class RequestLog:
    def __init__(self) -> None:
        self.entries: list[LoggedRequest] = []

    def record(self, request: Request, response: Response, route: Route | None) -> None:
        self.entries.append(
            LoggedRequest(
                request.method,
                request.path,
                request.query,
                dict(request.headers),
                request.body,
                response.status,
                route.name if route else None,
            )
        )
