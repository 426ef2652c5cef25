"""On a terminal, reload's progress display says what it waits for and how long.

uku-xero runs in a pseudo-terminal (a child process whose stdin, stdout and stderr are a
pty), against the emulator over loopback HTTP; what the terminal received is searched.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable

import pytest

from tests.connected import connect_company
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_in_terminal(*args: str, timeout: float = 60.0) -> tuple[int, str]:
    """Run `uku-xero ARGS` with a 250-column pty as its terminal; its exit code and what it
    wrote there (escape sequences removed)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 250, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen(
        [sys.executable, "-m", "uku_xero_cli", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    seen = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
        else:
            pytest.fail(f"uku-xero did not finish in {timeout} s: {seen.decode()[-500:]}")
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    return code, ANSI.sub("", seen.decode("utf-8", "replace"))


def test_a_rate_limit_wait_shows_its_reason_and_a_countdown(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.limits.force("minute", count=1, retry_after=3)
    code, screen = run_in_terminal("reload", "-c", "acme", "--only", "contacts")
    assert code == 0, screen
    assert re.search(r"acme: clients \(contacts\).*Xero's minute limit: waiting 3 s", screen)
    assert re.search(r"Xero's minute limit: waiting [12] s", screen)  # it counts down
    assert "clients (contacts)" in screen  # then the summary table
    assert "http GET" not in screen  # -v's lines only with -v


def test_a_wait_for_another_process_refreshing_the_token_is_shown(
    xero: RunningServer,
    sandbox: Sandbox,
    token_lock_held: Callable[[float], subprocess.Popen[str]],
) -> None:
    connect_company(sandbox, expires_in=0)
    other = token_lock_held(2.0)
    code, screen = run_in_terminal("reload", "-c", "acme", "--only", "items")
    assert code == 0, screen
    assert re.search(
        r"acme: products \(items\).*another uku-xero process is refreshing the token of "
        rf"company 'acme' \(pid {other.pid}, uku-xero 2\.0\) \(waiting \d s\)",
        screen,
    ), screen


def test_with_v_on_a_terminal_the_wait_has_its_line_as_well(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.limits.force("minute", count=1, retry_after=1)
    code, screen = run_in_terminal("reload", "-c", "acme", "--only", "items", "-v")
    assert code == 0, screen
    assert "[acme] wait (retry-after): Xero's minute limit: waiting 1.00 s, then try 2" in screen
