"""Shared pieces of the benchmark scripts: a private config and data dir, a company connected
to the emulator without the browser flow, a transport that counts and times requests, and a
pacer that does not pace (for the benchmarks that measure something else).

The scripts run from the repository root as `python benchmarks/NAME.py`, so this module is
importable as `common`.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import SandboxConfig
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.settings import Settings, load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore
from uku_xero_cli.xero.pacing import PaceLimits, Pacer
from uku_xero_cli.xero.retry import RetryPolicy
from uku_xero_cli.xero.scopes import GRANULAR

ROOT = Path(__file__).resolve().parent.parent
COMPANY = "bench"
SCOPES = GRANULAR  # what `auth` asks for by default
UNLIMITED = 10**9


def machine() -> str:
    """One line per fact: what the figures were measured on."""
    uname = " ".join(platform.uname())
    with suppress(OSError, subprocess.CalledProcessError):
        uname = subprocess.run(
            ["uname", "-a"], capture_output=True, text=True, check=True
        ).stdout.strip()
    return (
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}\n"
        f"uname -a: {uname}\n"
        f"CPUs: {os.cpu_count()}\n"
        f"Python: {sys.version.split()[0]} ({sys.executable})"
    )


def header(title: str) -> None:
    print(f"== {title}")


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def private_dirs() -> Iterator[Path]:
    """Config and data in a temporary directory, no stray XERO_* settings; all undone after."""
    saved = dict(os.environ)
    root = Path(tempfile.mkdtemp(prefix="uku-xero-bench-"))
    for name in list(os.environ):
        if name.startswith(("XERO_", "UKU_XERO_")):
            del os.environ[name]
    os.environ["UKU_XERO_CONFIG_DIR"] = str(root / "config")
    os.environ["UKU_XERO_DATA_DIR"] = str(root / "data")
    os.environ["XERO_CLIENT_ID"] = "SANDBOXPKCECLIENT0000000000000000"
    try:
        yield root
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(root, ignore_errors=True)


def emulator(**overrides: Any) -> Sandbox:
    """One organisation, Xero's limits lifted unless a benchmark sets them."""
    values: dict[str, Any] = {
        "orgs": 1,
        "minute_limit": UNLIMITED,
        "app_minute_limit": UNLIMITED,
        "day_limit": UNLIMITED,
    }
    values.update(overrides)
    return Sandbox(SandboxConfig(**values))


def connect(sandbox: Sandbox, company: str = COMPANY) -> Settings:
    """Tokens for the emulator's first organisation, stored as `auth` would store them."""
    answer = grant_for_tests(sandbox, SCOPES)
    tenant = sandbox.state.default_user().tenant_ids[0]
    connection = next(c for c in sandbox.state.connections.values() if c.tenant_id == tenant)
    now = datetime.now(UTC).replace(microsecond=0)
    settings = load_settings()
    TokenStore(settings).save(
        CompanyTokens(
            company=company,
            tenant_id=tenant,
            tenant_name=sandbox.state.orgs[tenant].name,
            tenant_type="ORGANISATION",
            connection_id=connection.id,
            auth_event_id=connection.auth_event_id,
            access_token=answer["access_token"],
            refresh_token=answer["refresh_token"],
            expires_at=now + timedelta(seconds=1800),
            scopes=answer["scope"].split(),
            connected_at=now,
        )
    )
    return settings


def free_pacer() -> Pacer:
    return Pacer(PaceLimits(concurrent=5, per_minute=UNLIMITED, app_per_minute=UNLIMITED))


def no_wait_retry() -> RetryPolicy:
    return RetryPolicy(sleep=lambda _seconds: None)


@dataclass
class Sent:
    method: str
    path: str
    status: int
    started: float
    seconds: float


@dataclass
class CountingTransport(httpx.BaseTransport):
    """Passes each request on and notes what it was, when it started and how it ended."""

    inner: httpx.BaseTransport
    sent: list[Sent] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        response = self.inner.handle_request(request)
        response.read()
        self.sent.append(
            Sent(
                request.method,
                request.url.path,
                response.status_code,
                started,
                time.monotonic() - started,
            )
        )
        return response

    def api(self, path: str = "") -> list[Sent]:
        return [s for s in self.sent if s.path.startswith("/api.xro/2.0" + path)]


def in_process(sandbox: Sandbox) -> CountingTransport:
    return CountingTransport(httpx.WSGITransport(app=sandbox))
