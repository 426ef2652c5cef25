"""Shared fixtures: a private config/data dir per test, the emulator, and a CLI runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID, SandboxConfig
from uku_xero_cli.sandbox.server import RunningServer, serve_in_thread

# Property-based tests draw their budget from a profile: "ci" (CI=true) and "default" run a
# fixed number of examples so the whole fuzz budget stays well under a minute;
# HYPOTHESIS_PROFILE=deep runs many more (the README's "Set up" says how long each takes).
# Tests that set max_examples themselves keep it.
for _name, _examples in (("default", 100), ("ci", 100), ("deep", 2000)):
    hypothesis_settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        derandomize=_name == "ci",  # CI: the same examples every run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "default")
)


@pytest.fixture(autouse=True)
def fresh_pacer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an unused process-wide pacer (xero/pacing.py), so one test's
    requests never slow the next one down."""
    from uku_xero_cli.xero import pacing

    monkeypatch.setattr(pacing, "_shared", None)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Every test gets its own config and data dir, no stray XERO_* settings, and the
    emulator's client id."""
    import os

    for name in list(os.environ):
        if name.startswith(("XERO_", "UKU_XERO_")) or name == "NO_COLOR":
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    data = tmp_path / "data"
    # A client id, as every installation that talks to Xero has (the emulator's PKCE app):
    # without one, every command that would talk to Xero stops at once.
    monkeypatch.setenv("XERO_CLIENT_ID", PUBLIC_CLIENT_ID)
    monkeypatch.setenv("UKU_XERO_CONFIG_DIR", str(config))
    monkeypatch.setenv("UKU_XERO_DATA_DIR", str(data))
    monkeypatch.setenv("COLUMNS", "200")
    return {"config": config, "data": data}


def small_config(**overrides: object) -> SandboxConfig:
    """A quick, strict emulator: strict mode checks every request the tests make."""
    values: dict[str, object] = {
        "strict": True,
        "contacts": 60,
        "items": 12,
        "invoices": 120,
        "bank_transactions": 40,
        "credit_notes": 10,
        "manual_journals": 6,
    }
    values.update(overrides)
    return SandboxConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(small_config())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    """A free loopback port for `auth`'s redirect server."""
    return free_port()


def sign_in_sandbox(port: int) -> Sandbox:
    """The strict emulator with `auth`'s redirect URI on `port` registered for both apps (a
    module signing in overrides `sandbox` with it)."""
    return Sandbox(small_config(redirect_uris=[f"http://localhost:{port}/callback"]))


@pytest.fixture
def sign_in_xero(
    sandbox_server: RunningServer, port: int, monkeypatch: pytest.MonkeyPatch
) -> RunningServer:
    """`sandbox` over loopback HTTP, uku-xero's settings pointing at it, redirect on `port`."""
    from uku_xero_cli.sandbox import environment

    for name, value in environment(sandbox_server.url, PUBLIC_CLIENT_ID).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UKU_XERO_REDIRECT_PORT", str(port))
    return sandbox_server


@pytest.fixture
def sandbox_client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """An httpx client talking to the emulator in-process."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox), base_url="http://sandbox.test"
    ) as client:
        yield client


@pytest.fixture
def sandbox_server(sandbox: Sandbox) -> Iterator[RunningServer]:
    """The same emulator over real loopback HTTP."""
    running = serve_in_thread(sandbox)
    try:
        yield running
    finally:
        running.stop()


# Opens an httpx client to an emulator (see the `open_client` fixture).
OpenClient = Callable[[Sandbox], httpx.Client]


@pytest.fixture(params=["in-process", "loopback"])
def open_client(request: pytest.FixtureRequest) -> Iterator[OpenClient]:
    """Opens httpx clients to emulators. A test that takes it runs twice: in-process through
    WSGITransport, then over real loopback HTTP, so one body of assertions covers both."""
    clients: list[httpx.Client] = []
    servers: list[RunningServer] = []

    def open_(sandbox: Sandbox) -> httpx.Client:
        if request.param == "loopback":
            servers.append(serve_in_thread(sandbox))
            client = httpx.Client(base_url=servers[-1].url, timeout=10)
        else:
            transport = httpx.WSGITransport(app=sandbox)
            client = httpx.Client(transport=transport, base_url="http://sandbox.test")
        clients.append(client)
        return client

    try:
        yield open_
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()


@pytest.fixture
def sandbox_http(sandbox: Sandbox, open_client: OpenClient) -> httpx.Client:
    """A client to the `sandbox` fixture, in-process and (a second run) over loopback HTTP."""
    return open_client(sandbox)


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """The emulator over loopback, with uku-xero's endpoints and client id pointed at it."""
    from tests.connected import point_at

    point_at(sandbox_server, monkeypatch)
    return sandbox_server


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        import json

        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run uku-xero in-process: cli("status", "--json") → CliResult."""
    from uku_xero_cli.cli.app import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


HOLD_TOKEN_LOCK = textwrap.dedent(
    """
    import sys, time
    from uku_xero_cli.settings import load_settings
    from uku_xero_cli.tokens import TokenStore
    with TokenStore(load_settings()).lock("acme"):
        print("held", flush=True)
        time.sleep(float(sys.argv[1]))
    """
)


@pytest.fixture
def token_lock_held() -> Iterator[Callable[[float], subprocess.Popen[str]]]:
    """Another process holding company acme's token lock for a while."""
    started: list[subprocess.Popen[str]] = []

    def hold(seconds: float) -> subprocess.Popen[str]:
        other = subprocess.Popen(
            [sys.executable, "-c", HOLD_TOKEN_LOCK, str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(other)
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        return other

    yield hold
    for other in started:
        other.kill()
        other.wait()
