"""The emulator as one WSGI application.

The same `Sandbox` object serves real loopback HTTP (`server.serve`) and in-process tests
(`httpx.WSGITransport(app=sandbox)`). Every request passes one pipeline:

    query-length cap → route → strict check → faults → (api: bearer + tenant guard → rate limits)
    → latency + handler (inside the concurrency slot) → rate-limit headers → request log
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from email.utils import format_datetime
from typing import Any

from uku_xero_cli.sandbox import accounting, admin, gateway, guard, identity
from uku_xero_cli.sandbox.clock import Clock
from uku_xero_cli.sandbox.config import SandboxConfig
from uku_xero_cli.sandbox.data import build_world
from uku_xero_cli.sandbox.faults import Faults
from uku_xero_cli.sandbox.http import Request, Response, Route, Router, wsgi_reply
from uku_xero_cli.sandbox.ratelimit import RateLimiter
from uku_xero_cli.sandbox.requestlog import RequestLog
from uku_xero_cli.sandbox.state import SandboxState


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock | None = None):
        self.config = config or SandboxConfig()
        self.clock = clock or Clock()
        self.state = SandboxState()
        self.log = RequestLog(self.clock)
        self.limits = RateLimiter(self.config, self.clock)
        self.faults = Faults(self.config, self.clock)
        self.strict: Any = None
        if self.config.strict:
            from uku_xero_cli.sandbox.strict import StrictValidator

            self.strict = StrictValidator()
        self.router = Router()
        identity.register(self)
        accounting.register(self)
        admin.register(self)
        build_world(self)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return wsgi_reply(self.handle(Request.from_environ(environ)), start_response)

    def handle(self, request: Request) -> Response:
        refused = gateway.refuse(self.config, request)
        if refused is not None:
            self.log.record(request, refused, None)
            return refused
        matched = self.router.match(request.method, request.path)
        if matched is None:
            response = Response.json({"Title": "Not Found", "Status": 404}, status=404)
            self.log.record(request, response, None)
            return response
        if matched == "method":
            response = Response.json({"Title": "Method Not Allowed", "Status": 405}, status=405)
            self.log.record(request, response, None)
            return response
        assert not isinstance(matched, str)
        route, params = matched
        response = self._dispatch(route, params, request)
        if route.kind != "admin":
            # Xero's answers carry its clock in Date, as an origin server with a clock must
            # (RFC 9110 §6.6.1); here the emulator's clock, so an advanced clock shows as
            # skew to `uku-xero doctor` like a wrong server or local clock would.
            response.headers.setdefault("Date", format_datetime(self.clock.now(), usegmt=True))
        self.log.record(request, response, route)
        return response

    def _dispatch(self, route: Route, params: dict[str, str], request: Request) -> Response:
        if route.kind == "admin":
            return route.handler(self, request, **params)
        if self.strict is not None:
            refused = self.strict.check(request, route)
            if refused is not None:
                return refused
        injected = self.faults.before(request, route)
        if injected is not None:
            return injected
        if route.kind != "api":
            return self.faults.respond(
                request, route, lambda: route.handler(self, request, **params)
            )

        granted = guard.authorize_api(self, request, route)
        if isinstance(granted, Response):
            return granted
        token, org = granted
        refused = self.limits.acquire(org.tenant_id, token.client_id)
        if refused is not None:
            return refused
        try:
            response = self.faults.respond(
                request,
                route,
                lambda: route.handler(self, request, org=org, token=token, **params),
            )
        finally:
            self.limits.release(org.tenant_id)
        response.headers.update(self.limits.headers(org.tenant_id, token.client_id))
        return response
