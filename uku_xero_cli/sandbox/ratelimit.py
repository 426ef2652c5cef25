"""Xero's rate limits: per tenant 5 concurrent, 60 a rolling minute, 5,000 a rolling day; per
app 10,000 a rolling minute. Limits and windows come from `SandboxConfig` at every call, so the
admin API can change them live, and time comes from the sandbox clock, so tests advance it
instead of waiting.

A refused call is not counted. Forced refusals (`force`) stand in for limits a test cannot
reach cheaply, such as the day limit.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from uku_xero_cli.sandbox.clock import Clock
from uku_xero_cli.sandbox.config import (
    SandboxConfig,
    SettingKind,
    change_settings,
    settings_of,
)
from uku_xero_cli.sandbox.http import Response

KINDS = ("minute", "day", "concurrent", "appminute")


@dataclass
class _Tenant:
    minute: deque[float] = field(default_factory=deque)
    day: deque[float] = field(default_factory=deque)
    in_flight: int = 0


@dataclass
class _Forced:
    kind: str
    remaining: int
    retry_after: int | None


def _prune(calls: deque[float], now: float, window: float) -> None:
    while calls and calls[0] <= now - window:
        calls.popleft()


def _wait(calls: deque[float], limit: int, now: float, window: float) -> int:
    """Whole seconds until the window holds fewer than `limit` calls (at least 1)."""
    # With a limit lowered below the calls already counted, several must leave first.
    freeing = calls[max(0, len(calls) - limit)] if calls else now
    return max(1, math.ceil(freeing + window - now))


class RateLimiter:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._tenants: dict[str, _Tenant] = {}
        self._apps: dict[str, deque[float]] = {}
        self._forced: deque[_Forced] = deque()

    def acquire(self, tenant_id: str, client_id: str) -> Response | None:
        """Count one call; a 429 response when a limit refuses it."""
        config = self.config
        with self._lock:
            now = self.clock.timestamp()
            tenant, app = self._prune(tenant_id, client_id, now)
            if self._forced:
                forced = self._forced[0]
                forced.remaining -= 1
                if forced.remaining <= 0:
                    self._forced.popleft()
                retry = forced.retry_after or self._default_retry(forced.kind)
                return self._refuse(forced.kind, retry, tenant_id, client_id)
            if len(tenant.day) >= config.day_limit:
                retry = _wait(tenant.day, config.day_limit, now, config.day_window)
                return self._refuse("day", retry, tenant_id, client_id)
            if len(tenant.minute) >= config.minute_limit:
                retry = _wait(tenant.minute, config.minute_limit, now, config.minute_window)
                return self._refuse("minute", retry, tenant_id, client_id)
            if len(app) >= config.app_minute_limit:
                retry = _wait(app, config.app_minute_limit, now, config.minute_window)
                return self._refuse("appminute", retry, tenant_id, client_id)
            if tenant.in_flight >= config.concurrent_limit:
                # Nothing to wait for but another call to finish: Xero suggests a second.
                return self._refuse("concurrent", 1, tenant_id, client_id)
            tenant.minute.append(now)
            tenant.day.append(now)
            app.append(now)
            tenant.in_flight += 1
        return None

    def release(self, tenant_id: str) -> None:
        """The call that `acquire` admitted has finished (concurrency limit)."""
        with self._lock:
            tenant = self._tenants.get(tenant_id)
            if tenant is not None and tenant.in_flight > 0:
                tenant.in_flight -= 1

    def headers(self, tenant_id: str, client_id: str) -> dict[str, str]:
        with self._lock:
            tenant, app = self._prune(tenant_id, client_id, self.clock.timestamp())
            return self._headers(tenant, app)

    def force(self, kind: str, count: int = 1, retry_after: int | None = None) -> None:
        """Refuse the next `count` API calls with a 429 of `kind`, whatever the counts say."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must not be negative")
        with self._lock:
            self._forced.append(_Forced(kind, count, retry_after))

    def reset(self) -> None:
        """Forget every counted call and forced refusal (calls in flight stay in flight)."""
        with self._lock:
            for tenant in self._tenants.values():
                tenant.minute.clear()
                tenant.day.clear()
            self._apps.clear()
            self._forced.clear()

    def snapshot(self) -> dict[str, Any]:
        """Limits, windows, what each tenant and app has used, and pending forced 429s."""
        config = self.config
        with self._lock:
            now = self.clock.timestamp()
            for calls in self._apps.values():
                _prune(calls, now, config.minute_window)
            tenants = {}
            for tenant_id, tenant in self._tenants.items():
                _prune(tenant.minute, now, config.minute_window)
                _prune(tenant.day, now, config.day_window)
                tenants[tenant_id] = {
                    "minute": len(tenant.minute),
                    "day": len(tenant.day),
                    "in_flight": tenant.in_flight,
                }
            return {
                "limits": limits_of(config),
                "tenants": tenants,
                "apps": {client: len(calls) for client, calls in self._apps.items()},
                "forced": [
                    {"kind": f.kind, "remaining": f.remaining, "retry_after": f.retry_after}
                    for f in self._forced
                ],
            }

    def _prune(self, tenant_id: str, client_id: str, now: float) -> tuple[_Tenant, deque[float]]:
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        app = self._apps.setdefault(client_id, deque())
        _prune(tenant.minute, now, self.config.minute_window)
        _prune(tenant.day, now, self.config.day_window)
        _prune(app, now, self.config.minute_window)
        return tenant, app

    def _headers(self, tenant: _Tenant, app: deque[float]) -> dict[str, str]:
        config = self.config
        return {
            "X-DayLimit-Remaining": str(max(0, config.day_limit - len(tenant.day))),
            "X-MinLimit-Remaining": str(max(0, config.minute_limit - len(tenant.minute))),
            "X-AppMinLimit-Remaining": str(max(0, config.app_minute_limit - len(app))),
        }

    def _default_retry(self, kind: str) -> int:
        if kind == "day":
            return max(1, math.ceil(self.config.day_window))
        if kind == "concurrent":
            return 1
        return max(1, math.ceil(self.config.minute_window))

    def _refuse(self, kind: str, retry_after: int, tenant_id: str, client_id: str) -> Response:
        tenant = self._tenants[tenant_id]
        headers = self._headers(tenant, self._apps[client_id])
        # A forced refusal claims a limit is exhausted; say so in its header too.
        exhausted = {
            "day": "X-DayLimit-Remaining",
            "minute": "X-MinLimit-Remaining",
            "appminute": "X-AppMinLimit-Remaining",
        }.get(kind)
        if exhausted:
            headers[exhausted] = "0"
        headers["Retry-After"] = str(retry_after)
        headers["X-Rate-Limit-Problem"] = kind
        return Response.json(
            {
                "Title": "Too Many Requests",
                "Status": 429,
                "Detail": f"The {kind} rate limit has been exceeded; retry after "
                f"{retry_after} seconds.",
            },
            status=429,
            headers=headers,
        )


# The limits and windows the admin API may change live, and what each takes.
LIMIT_FIELDS: dict[str, SettingKind] = {
    "concurrent_limit": int,
    "minute_limit": int,
    "day_limit": int,
    "app_minute_limit": int,
    "minute_window": float,
    "day_window": float,
}


def limits_of(config: SandboxConfig) -> dict[str, Any]:
    return settings_of(config, LIMIT_FIELDS)


def change_limits(config: SandboxConfig, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply `changes` (names of LIMIT_FIELDS) to the live config after checking all of them."""
    return change_settings(config, LIMIT_FIELDS, "limit", changes)
