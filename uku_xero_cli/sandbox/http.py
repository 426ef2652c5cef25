"""The small slice of HTTP the emulator needs: requests, responses and a router over WSGI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    302: "Found",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    query_string: str = ""

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        if environ.get("CONTENT_LENGTH"):
            headers["content-length"] = environ["CONTENT_LENGTH"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        # PATH_INFO is latin-1 decoded by WSGI; recover the UTF-8 the client sent.
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        qs = environ.get("QUERY_STRING", "")
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=path,
            query=parse_qs(qs, keep_blank_values=True),
            headers=headers,
            body=body,
            query_string=qs,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, matched case-insensitively as Xero does."""
        lowered = name.lower()
        for key, values in self.query.items():
            if key.lower() == lowered and values:
                return values[-1]
        return default

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # No answer at all: the connection is closed instead (a drop fault, sandbox/faults.py).
    drop: bool = False

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, b"", {}, drop=True)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data, separators=(",", ":"), default=str).encode("utf-8")
        merged = {"Content-Type": "application/json; charset=utf-8"}
        merged.update(headers or {})
        return cls(status, body, merged)

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})

    @classmethod
    def redirect(cls, url: str, params: dict[str, str] | None = None) -> Response:
        if params:
            url = url + ("&" if "?" in url else "?") + urlencode(params)
        return cls(302, b"", {"Location": url})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", {})

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body else None


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str
    # "identity", "api" (accounting, behind bearer token, tenant and rate limits) or "admin".
    kind: str = "identity"
    # The path template of Xero's OpenAPI spec this route answers (for strict mode and
    # fidelity tests), e.g. ("accounting", "/Contacts/{ContactID}").
    spec: tuple[str, str] | None = None
    # OAuth scopes of which the token needs at least one ("api" routes).
    scopes: tuple[str, ...] = ()


class Router:
    """Matches method and path (case-insensitively, as Xero does) to a handler."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        name: str | None = None,
        kind: str = "identity",
        spec: tuple[str, str] | None = None,
        scopes: tuple[str, ...] = (),
    ) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self.routes.append(
            Route(
                method.upper(),
                re.compile(f"^{regex}/?$", re.IGNORECASE),
                handler,
                name or handler.__name__,
                kind,
                spec,
                scopes,
            )
        )

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | str | None:
        """The route and its path parameters; "method" when only the method is wrong."""
        path_matched = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            path_matched = True
        return "method" if path_matched else None


def wsgi_reply(response: Response, start_response: Callable[..., Any]) -> Iterable[bytes]:
    if response.drop:
        # wsgiref's server takes this as the client gone and closes the connection without
        # writing a byte: the client sees the server disconnect with no answer.
        raise ConnectionAbortedError("the sandbox dropped the connection (a drop fault)")
    status = f"{response.status} {STATUS_TEXT.get(response.status, 'Unknown')}"
    headers = dict(response.headers)
    headers.setdefault("Content-Length", str(len(response.body)))
    start_response(status, list(headers.items()))
    return [response.body]
