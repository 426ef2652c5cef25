"""uku-xero at a real terminal: a pseudo-terminal drives the installed program, as a person
would. Prompts follow the terminal (not NO_COLOR), `--no-input` refuses with the option to use,
the organisation picker takes a number or a name, and `auth` without a browser takes a paste.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import sign_in_sandbox
from tests.connected import connect_company, stored
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer

pexpect = pytest.importorskip("pexpect")


@pytest.fixture
def sandbox(port: int) -> Sandbox:
    return sign_in_sandbox(port)


@pytest.fixture
def xero(sign_in_xero: RunningServer) -> RunningServer:
    return sign_in_xero


def at_terminal(*args: str, **env: str | None) -> pexpect.spawn:
    """uku-xero ARGS in a pseudo-terminal (stdin, stdout and stderr are the terminal)."""
    environ = {**os.environ, "TERM": "xterm", "COLUMNS": "160"}
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return pexpect.spawn(
        sys.executable,
        ["-m", "uku_xero_cli", *args],
        env=environ,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
    )


def finished(child: pexpect.spawn) -> tuple[int, str]:
    """Its remaining output and exit code, once it ends."""
    rest = child.read()
    child.close()
    return child.exitstatus, rest


def coloured(text: str) -> bool:
    """Whether `text` sets a foreground or background colour (bold and italic are not)."""
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        codes = [int(code) for code in params.split(";") if code]
        if any(30 <= c <= 49 or 90 <= c <= 107 for c in codes):
            return True
    return False


def by_name(sandbox: Sandbox) -> list[str]:
    return sorted((org.name for org in sandbox.state.orgs.values()), key=str.casefold)


# -- prompts follow the terminal, not NO_COLOR -----------------------------------------------


def test_no_color_still_prompts_and_the_picker_takes_a_name_prefix(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)  # the first organisation
    first, second = by_name(sandbox)
    child = at_terminal("orgs", "-c", "acme", "--select", NO_COLOR="1")
    child.expect(r"Organisation \(number 1-2 or name\) \[\d\]: ")
    listing = child.before
    assert not coloured(listing)  # no colour ...
    assert listing.index(first) < listing.index(second)  # ... the names in order ...
    current = sandbox.state.orgs[record.tenant_id].name
    assert f"{current} (current)" in listing  # ... and the current one marked
    other = second if current == first else first
    child.sendline(other[: len(other) - 1].lower())  # a unique start of the name, any case
    code, rest = finished(child)
    assert code == 0, rest
    assert f"now uses {other}" in rest
    assert stored().tenant_name == other


def test_a_bad_answer_is_told_the_valid_range_and_asked_again(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    child = at_terminal("orgs", "-c", "acme", "--select")
    child.expect(r"name\) \[\d\]: ")
    child.sendline("7")
    child.expect("7 is not listed: type a number from 1 to 2, or a name.")
    child.sendline("uku demo")  # both names start so
    child.expect(r"fits 2 organisations \(.*\): type more of the name, or its number.")
    child.sendline("nobody")
    child.expect("No organisation is called 'nobody': type a number from 1 to 2, or a name.")
    child.sendline("")  # Enter keeps the current one
    code, rest = finished(child)
    assert code == 0, rest
    assert stored().tenant_id == record.tenant_id
    assert "Please select one of the available options" not in rest


@pytest.mark.parametrize(
    ("flag", "env", "why"),
    [
        (["--no-input"], {}, "--no-input was given"),
        ([], {"UKU_XERO_NO_INPUT": "1"}, "UKU_XERO_NO_INPUT is set"),
    ],
)
def test_no_input_refuses_to_ask_and_names_the_commands_to_run(
    xero: RunningServer, sandbox: Sandbox, flag: list[str], env: dict[str, str], why: str
) -> None:
    record = connect_company(sandbox, "acme-2")
    child = at_terminal("orgs", "-c", "acme-2", "--select", *flag, **env)
    code, out = finished(child)
    assert code == 2, out
    assert f"--select asks at the terminal, and cannot here ({why}): nothing was changed" in out
    for name in by_name(sandbox):
        assert f"uku-xero orgs -c acme-2 --use '{name}'" in out
    assert "Organisation (" not in out
    assert stored("acme-2").tenant_id == record.tenant_id


def test_disconnect_with_no_input_refuses_with_the_command_that_does_it(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, "acme-2")
    child = at_terminal("disconnect", "-c", "acme-2", "--no-input")
    code, out = finished(child)
    assert code == 2, out
    assert "cannot here (--no-input was given): nothing was changed" in out
    assert "uku-xero disconnect -c acme-2 --yes" in out
    assert record.connection_id in sandbox.state.connections


def test_progress_is_shown_at_a_terminal_even_with_no_color(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    child = at_terminal("reload", "-c", "acme", "--only", "contacts", NO_COLOR="1")
    code, out = finished(child)
    assert code == 0, out
    assert "acme: clients (contacts)" in out  # the progress bar's line, drawn then cleared
    # Off a terminal (pipes, cron) there is no progress display at all.
    piped = subprocess.run(
        [sys.executable, "-m", "uku_xero_cli", "reload", "-c", "acme", "--only", "contacts"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TERM": "xterm"},
    )
    assert piped.returncode == 0, piped.stderr
    assert "acme: clients (contacts)" not in piped.stderr + piped.stdout


# -- auth at a terminal without a browser ----------------------------------------------------


def test_auth_without_a_browser_says_so_and_takes_the_pasted_redirect(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    tenant = sandbox.state.default_user().tenant_ids[0]
    sandbox.config.consent_tenants = [tenant]
    child = at_terminal("auth", "-c", "acme-2", DISPLAY=None, WAYLAND_DISPLAY=None, BROWSER=None)
    child.expect(r"(http://127\.0\.0\.1:\d+/identity/connect/authorize\?\S+)")
    url = child.match.group(1)
    child.expect("No browser could be opened")
    child.expect("and press Enter")
    # The person opens the URL on another machine and pastes where that browser ended.
    location = httpx.get(url, follow_redirects=False).headers["location"]
    child.sendline(location)
    code, rest = finished(child)
    assert code == 0, rest
    assert "Connected company 'acme-2' to" in rest
    assert stored("acme-2").tenant_id == tenant


def test_auth_with_a_browser_asks_for_the_organisation_at_the_terminal(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    first, second = by_name(sandbox)
    stand_in = f"{sys.executable} -m uku_xero_cli.sandbox.browser %s"
    child = at_terminal("auth", "-c", "acme-2", NO_COLOR="1", BROWSER=stand_in)
    child.expect(r"Organisation \(number 1-2 or name\): ")
    assert child.before.index(first) < child.before.index(second)
    child.sendline(second.upper())  # a whole name, in another case
    code, rest = finished(child)
    assert code == 0, rest
    assert f"Connected company 'acme-2' to {second}." in rest
    assert stored("acme-2").tenant_name == second
