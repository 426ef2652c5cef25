"""A sign-in in a real browser: headless Chromium, driven over the DevTools protocol, walks
the emulator's authorize page, ticks organisations on its consent page, is redirected to
`auth`'s loopback server, and shows the page that server answers. That page must say what
the terminal says, once the outcome is known — never "Connected" while `auth` fails.

Needs Debian's chromium (`apt-get install chromium`; `.ci/run` installs it in CI); without it
the tests skip, saying so.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CliResult, sign_in_sandbox
from tests.test_auth_cli import terminal_error
from uku_xero_cli.cli.output import Output
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium); .ci/run installs it in CI",
)
websocket = pytest.importorskip("websocket", reason="websocket-client is in the test extra")

Cli = Callable[..., CliResult]
# Launch flags that work as root in a container, with nothing reaching out on its own.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]


class Chromium:
    """One headless Chromium and its one tab, spoken to over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            assert self.process.poll() is None, "chromium exited at start"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True
        )
        self._ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                assert "error" not in message, message
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """The value of `expression` in the tab once it is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError:  # the page is being replaced: ask again
                value = None
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}; title {self.title()!r}")

    def title(self) -> str:
        return str(self.evaluate("document.title") or "")

    def text(self) -> str:
        return " ".join(str(self.evaluate("document.body.innerText") or "").split())

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    browser = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def sandbox(port: int) -> Sandbox:
    """The emulator showing its consent page, with auth's redirect URI registered."""
    emulator = sign_in_sandbox(port)
    emulator.config.consent = "page"
    return emulator


@pytest.fixture
def xero(sign_in_xero: RunningServer) -> RunningServer:
    return sign_in_xero


@pytest.fixture
def consent_in(
    chromium: Chromium, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Sandbox, int], None]:
    """Make Chromium `auth`'s browser: it opens the sign-in URL and, on the consent page,
    ticks the first `ticked` organisations and allows access, as a person would."""

    def use(sandbox: Sandbox, ticked: int) -> None:
        def open_in_chromium(url: str) -> bool:
            chromium.send("Page.navigate", url=url)
            chromium.wait_for("document.title.startsWith('Connect ')")
            chromium.evaluate(
                "(() => { const boxes = document.querySelectorAll(\"input[name='tenant']\");"
                f" boxes.forEach((box, i) => {{ box.checked = i < {ticked}; }});"
                " document.querySelector(\"button[value='allow']\").click(); })()"
            )
            return True

        monkeypatch.setattr("uku_xero_cli.cli.auth_cmd.open_browser", open_in_chromium)

    return use


def final_page(chromium: Chromium) -> tuple[str, str]:
    """The title and text of the page the loopback server answered with, once shown."""
    chromium.wait_for("document.title.endsWith('· uku-xero') && !document.title.startsWith('Fin')")
    return chromium.title(), chromium.text()


def test_a_connection_is_shown_as_the_terminal_says_it(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, chromium: Chromium, consent_in: Any
) -> None:
    consent_in(sandbox, 1)
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    title, text = final_page(chromium)
    assert title == "Connected · uku-xero"
    assert result.stdout.splitlines()[0] in text  # "Connected company 'acme' to ..."


def test_no_offline_access_is_shown_as_the_failure_the_terminal_prints(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, chromium: Chromium, consent_in: Any
) -> None:
    consent_in(sandbox, 1)
    result = cli("auth", "-c", "acme", "--scopes", "openid profile email accounting.contacts")
    assert result.exit_code == 1
    title, text = final_page(chromium)
    assert title == "Not connected · uku-xero"
    assert "Connected company" not in text
    for line in terminal_error(result.stderr):
        assert line in text


def test_two_organisations_off_a_terminal_are_shown_as_the_terminal_says(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, chromium: Chromium, consent_in: Any
) -> None:
    consent_in(sandbox, 2)
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 2
    title, text = final_page(chromium)
    assert title == "Not connected · uku-xero"
    for line in terminal_error(result.stderr):
        assert " ".join(line.split()) in text


def test_a_choice_at_the_terminal_is_announced_then_the_page_shows_the_outcome(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    chromium: Chromium,
    consent_in: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    consent_in(sandbox, 2)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO("2\n"))
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    # The page said "choose in the terminal", then asked again by itself (meta refresh).
    title, text = final_page(chromium)
    assert title == "Connected · uku-xero"
    assert result.stdout.splitlines()[0] in text


def test_the_pages_lay_out_at_a_phones_width(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, chromium: Chromium, consent_in: Any
) -> None:
    chromium.send(
        "Emulation.setDeviceMetricsOverride",
        width=390,
        height=844,
        deviceScaleFactor=3,
        mobile=True,
    )
    try:
        consent_in(sandbox, 1)
        result = cli("auth", "-c", "acme")
        assert result.exit_code == 0, result.stderr
        final_page(chromium)
        # Without a viewport a phone lays the page out 980 px wide and shrinks its text.
        assert chromium.evaluate("document.documentElement.clientWidth") == 390
        size = chromium.evaluate("getComputedStyle(document.querySelector('p')).fontSize")
        assert size == "16px"
        assert chromium.evaluate("document.documentElement.lang") == "en"
    finally:
        chromium.send("Emulation.clearDeviceMetricsOverride")


def test_chromium_is_the_real_one() -> None:
    """The browser under test is Debian's chromium, not a stand-in."""
    assert CHROMIUM is not None and os.access(CHROMIUM, os.X_OK)
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30)
    assert "Chromium" in version.stdout
