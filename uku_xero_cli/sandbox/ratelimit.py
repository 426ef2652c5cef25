"""Xero's rate limits per tenant and per app. (Placeholder: see issue 2.)"""

from __future__ import annotations

from uku_xero_cli.sandbox.clock import Clock
from uku_xero_cli.sandbox.config import SandboxConfig
from uku_xero_cli.sandbox.http import Response


class RateLimiter:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def acquire(self, tenant_id: str, client_id: str) -> Response | None:
        """Count one call; a 429 response when a limit refuses it."""
        return None

    def release(self, tenant_id: str) -> None:
        """The call that `acquire` admitted has finished (concurrency limit)."""

    def headers(self, tenant_id: str, client_id: str) -> dict[str, str]:
        return {}
