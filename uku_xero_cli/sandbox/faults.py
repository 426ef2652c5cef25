"""Injected faults, for tests and for support engineers reproducing a customer's problem.

- latency: seconds added to every identity and API answer (spent inside the concurrency slot,
  as a slow Xero would hold it);
- error_rate: the share of identity and API calls answered 500 or 503, drawn from a seeded RNG
  so a run repeats exactly;
- rules: the next N calls to a path prefix (optionally one method) answer a given status, or
  hang: the answer is held `hang` seconds, longer than a client's timeout, or drop: the
  connection is closed with no answer at all (a proxy or load balancer cutting it; over
  loopback HTTP the client sees the server disconnect, in-process the WSGI call raises
  ConnectionAbortedError; the request log shows status 0). A hang or a drop either leaves the
  call unprocessed (a hang answers 504 when the hold ends) or, with `process`, runs it first
  so the change is made but the answer never arrives — the lost-answer case that idempotency
  keys and refresh-token grace periods exist for.

Admin routes never get faults. `clear()` ends every hang at once.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from uku_xero_cli.sandbox.clock import Clock
from uku_xero_cli.sandbox.config import SandboxConfig
from uku_xero_cli.sandbox.http import STATUS_TEXT, Request, Response, Route

OAUTH_ERRORS = {500: "server_error", 503: "temporarily_unavailable"}


@dataclass
class FaultRule:
    path_prefix: str
    remaining: int
    method: str | None = None
    status: int | None = None
    hang: float | None = None
    drop: bool = False
    process: bool = False
    body: Any = None
    retry_after: int | None = None

    def matches(self, request: Request) -> bool:
        return (self.method is None or self.method == request.method) and (
            request.path.lower().startswith(self.path_prefix.lower())
        )


class Faults:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._rules: list[FaultRule] = []
        self._released = threading.Event()

    # -- control -------------------------------------------------------------------------

    def set(
        self,
        *,
        latency: float | None = None,
        error_rate: float | None = None,
        seed: int | None = None,
    ) -> None:
        """Change the standing faults; the RNG restarts from `seed` when one is given."""
        if latency is not None and not 0 <= latency <= 600:
            raise ValueError("latency must be between 0 and 600 seconds")
        if error_rate is not None and not 0 <= error_rate <= 1:
            raise ValueError("error_rate must be between 0 and 1")
        with self._lock:
            if latency is not None:
                self.config.latency = float(latency)
            if error_rate is not None:
                self.config.error_rate = float(error_rate)
            if seed is not None:
                self._rng = random.Random(seed)

    def fail(
        self,
        path_prefix: str,
        *,
        status: int | None = None,
        hang: float | None = None,
        count: int = 1,
        method: str | None = None,
        process: bool = False,
        body: Any = None,
        retry_after: int | None = None,
        drop: bool = False,
    ) -> FaultRule:
        """Make the next `count` calls under `path_prefix` answer `status`, hang, or drop."""
        if [status is not None, hang is not None, drop].count(True) != 1:
            raise ValueError("give exactly one of status, hang and drop")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if hang is not None and not 0 < hang <= 3600:
            raise ValueError("hang must be between 0 and 3600 seconds")
        if process and status is not None:
            raise ValueError("process applies to hang and drop faults only")
        if count < 1:
            raise ValueError("count must be at least 1")
        if not path_prefix.startswith("/"):
            raise ValueError("path must start with /")
        rule = FaultRule(
            path_prefix=path_prefix,
            remaining=count,
            method=method.upper() if method else None,
            status=status,
            hang=hang,
            drop=drop,
            process=process,
            body=body,
            retry_after=retry_after,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """No latency, no error rate, no rules; requests hanging now are let go."""
        with self._lock:
            self.config.latency = 0.0
            self.config.error_rate = 0.0
            self._rules.clear()
            self._released.set()
            self._released = threading.Event()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency": self.config.latency,
                "error_rate": self.config.error_rate,
                "rules": [asdict(rule) for rule in self._rules],
            }

    # -- the request pipeline ------------------------------------------------------------

    def before(self, request: Request, route: Route) -> Response | None:
        """An injected answer in place of the handler's, or None to go on."""
        if route.kind == "admin":
            return None
        rule = self._take_rule(request, processed=False)
        if rule is not None:
            if rule.drop:
                return Response.dropped()
            if rule.hang is not None:
                self._hold(rule.hang)
                return self._answer(route, 504, rule)
            assert rule.status is not None
            return self._answer(route, rule.status, rule)
        with self._lock:
            rate = self.config.error_rate
            status = None
            if rate > 0 and self._rng.random() < rate:
                status = self._rng.choice((500, 503))
        return self._answer(route, status, None) if status is not None else None

    def respond(self, request: Request, route: Route, call: Callable[[], Response]) -> Response:
        """Run the handler with the standing latency, and any hang that follows processing."""
        if route.kind == "admin":
            return call()
        if self.config.latency > 0:
            self._hold(self.config.latency)
        rule = self._take_rule(request, processed=True)
        response = call()
        if rule is not None and rule.hang is not None:
            self._hold(rule.hang)
        if rule is not None and rule.drop:
            return Response.dropped()
        return response

    # -- helpers ---------------------------------------------------------------------------

    def _take_rule(self, request: Request, *, processed: bool) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.process == processed and rule.matches(request):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def _hold(self, seconds: float) -> None:
        with self._lock:
            released = self._released
        released.wait(seconds)

    def _answer(self, route: Route, status: int, rule: FaultRule | None) -> Response:
        headers: dict[str, str] = {}
        if status == 429:
            headers["Retry-After"] = str(rule.retry_after if rule and rule.retry_after else 1)
            headers["X-Rate-Limit-Problem"] = "minute"
        if rule is not None and rule.body is not None:
            return Response.json(rule.body, status=status, headers=headers)
        if route.kind == "identity":
            error = OAUTH_ERRORS.get(status, "invalid_request")
            return Response.json({"error": error}, status=status, headers=headers)
        title = STATUS_TEXT.get(status, "Error")
        detail = (
            "The request was held past the client's timeout by a sandbox hang fault."
            if status == 504
            else "Answered by the sandbox's fault injection."
        )
        return Response.json(
            {"Title": title, "Status": status, "Detail": detail}, status=status, headers=headers
        )
