"""Injected faults: latency, random 5xx answers, forced 429s. (Placeholder: see issue 2.)"""

from __future__ import annotations

from uku_xero_cli.sandbox.clock import Clock
from uku_xero_cli.sandbox.config import SandboxConfig
from uku_xero_cli.sandbox.http import Request, Response, Route


class Faults:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def before(self, request: Request, route: Route) -> Response | None:
        return None
