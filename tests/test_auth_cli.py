"""`uku-xero auth` end to end against the emulator over real loopback HTTP.

A scripted "browser" GETs the authorize URL, reads the emulator's redirect and GETs it on the
loopback server, as a person's browser would after consenting.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import CliResult, free_port, sign_in_sandbox
from uku_xero_cli.cli.output import Output
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
)
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import TokenStore
from uku_xero_cli.xero.scopes import BROAD

Cli = Callable[..., CliResult]


@pytest.fixture
def sandbox(port: int) -> Sandbox:
    return sign_in_sandbox(port)


@pytest.fixture
def xero(sign_in_xero: RunningServer) -> RunningServer:
    return sign_in_xero


def terminal_error(stderr: str) -> list[str]:
    """The `error:` line and the hint lines under it, as the terminal shows them."""
    _, _, error = stderr.partition("error: ")
    return [line.strip() for line in error.strip().splitlines() if line.strip()]


def page_text(page: httpx.Response) -> str:
    """What a person reads on a page: its text without the markup."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+; url=([^"]+)">')


class Browser:
    """Follows the authorize redirect like a browser whose user consents (or not), and a
    page's refresh as a browser does."""

    def __init__(self) -> None:
        self.visited: list[str] = []
        self.pages: list[httpx.Response] = []
        self.tamper: Callable[[str], str] = lambda url: url

    def __call__(self, url: str) -> bool:
        self.visited.append(url)
        answer = httpx.get(url, follow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        location = self.tamper(answer.headers["location"])
        self.pages.append(httpx.get(location, timeout=20))
        while (again := REFRESH.search(self.pages[-1].text)) is not None:
            self.pages.append(httpx.get(self.pages[-1].url.join(again.group(1)), timeout=20))
        return True


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Browser:
    scripted = Browser()
    monkeypatch.setattr("uku_xero_cli.cli.auth_cmd.open_browser", scripted)
    return scripted


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Pretend to be at a terminal; the returned function types answers on stdin."""
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))

    def answer(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    yield answer


def only_one_org(sandbox: Sandbox) -> str:
    tenant = sandbox.state.default_user().tenant_ids[0]
    sandbox.config.consent_tenants = [tenant]
    return tenant


def stored(company: str = "acme"):  # type: ignore[no-untyped-def]
    record = TokenStore(load_settings()).load(company)
    assert record is not None
    return record


def token_calls(sandbox: Sandbox, grant: str) -> list[object]:
    return [
        e
        for e in sandbox.log.entries("POST", "/connect/token")
        if isinstance(e.body, dict) and e.body.get("grant_type") == grant
    ]


# -- the happy paths ------------------------------------------------------------------------


def test_auth_with_pkce_connects_the_only_organisation(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser, port: int
) -> None:
    tenant = only_one_org(sandbox)
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    name = sandbox.state.orgs[tenant].name
    assert f"Connected company 'acme' to {name}" in result.stdout
    query = parse_qs(urlsplit(browser.visited[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"http://localhost:{port}/callback"]
    exchange = sandbox.log.last("POST", "/connect/token")
    assert exchange.status == 200
    assert exchange.body["code_verifier"] == "***"  # sent (the log masks it)
    assert exchange.header("authorization") is None
    record = stored()
    assert record.tenant_id == tenant and record.tenant_name == name
    assert record.connection_id in sandbox.state.connections
    assert record.user_email == sandbox.state.default_user().email
    assert record.user_name == sandbox.state.default_user().name
    assert "accounting.invoices" in record.scopes
    # The browser is answered once the connection is stored, with the terminal's words.
    assert browser.pages[0].status_code == 200
    assert f"Connected company 'acme' to {name}." in page_text(browser.pages[0])


def test_auth_records_the_xero_login_that_signed_in(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    """The id token's `xero_userid` (not its `sub`): what says which companies share a login."""
    from uku_xero_cli.sandbox import control

    alex = control.add_user(sandbox, "Alex", "Other")
    control.set_consent(sandbox, "auto", tenants=[alex.tenant_ids[0]], user=alex.email)
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert stored().user_id == alex.user_id
    assert stored().user_id != sandbox.state.default_user().user_id


def test_auth_with_a_client_secret_uses_basic_authentication(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XERO_CLIENT_ID", CONFIDENTIAL_CLIENT_ID)
    monkeypatch.setenv("XERO_CLIENT_SECRET", CONFIDENTIAL_CLIENT_SECRET)
    only_one_org(sandbox)
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    exchange = sandbox.log.last("POST", "/connect/token")
    assert exchange.status == 200
    assert exchange.header("authorization") == "Basic ***"
    assert CONFIDENTIAL_CLIENT_SECRET not in result.stdout + result.stderr
    assert stored().connected


def test_auth_json_document(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    tenant = only_one_org(sandbox)
    result = cli("auth", "-c", "acme", "--json")
    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert isinstance(document, dict)
    assert document["state"] == "connected"
    assert document["organisation"]["tenant_id"] == tenant
    assert document["company"] == "acme"


def test_token_file_is_0600_and_no_token_reaches_the_output(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    only_one_org(sandbox)
    result = cli("auth", "-c", "acme", "--verbose")
    assert result.exit_code == 0, result.stderr
    record = stored()
    path = TokenStore(load_settings()).path("acme")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for secret in (record.access_token, record.refresh_token):
        assert secret and secret not in result.stdout + result.stderr


def test_auth_again_reconnects_with_fresh_tokens(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    only_one_org(sandbox)
    assert cli("auth", "-c", "acme").exit_code == 0
    first = stored()
    again = cli("auth", "-c", "acme")
    assert again.exit_code == 0, again.stderr
    assert "Reconnected company 'acme'" in again.stdout
    second = stored()
    assert second.refresh_token != first.refresh_token
    assert second.connection_id == first.connection_id  # Xero keeps the connection's id


def test_auth_replaces_a_damaged_token_file(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    only_one_org(sandbox)
    path = TokenStore(load_settings()).path("acme")
    path.parent.mkdir(parents=True)
    path.write_text("token = [broken")
    assert cli("status", "-c", "acme", "--offline").exit_code == 4
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert stored().connected


# -- several organisations -------------------------------------------------------------------


def test_several_orgs_on_a_terminal_are_chosen_at_a_prompt(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    browser: Browser,
    interactive: Callable[[str], None],
) -> None:
    interactive("2\n")
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    record = stored()
    # Listed by name, so the second is the second by name whatever Xero's order.
    listed = sorted(sandbox.state.orgs.values(), key=lambda org: org.name.casefold())
    assert record.tenant_id == listed[1].tenant_id
    assert "Organisation (number 1-2 or name)" in result.stderr
    # The browser was told to choose in the terminal, asked again by itself, and was
    # answered once the choice was made, with the terminal's words.
    finishing, outcome = browser.pages
    assert "Choose the organisation in the terminal" in page_text(finishing)
    assert result.stdout.splitlines()[0] in page_text(outcome)


def test_several_orgs_chosen_by_tenant_name(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    org = list(sandbox.state.orgs.values())[1]
    result = cli("auth", "-c", "acme", "--tenant", org.name.upper())
    assert result.exit_code == 0, result.stderr
    assert stored().tenant_id == org.tenant_id


def test_several_orgs_chosen_by_tenant_id(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    org = next(iter(sandbox.state.orgs.values()))
    result = cli("auth", "-c", "acme", "--tenant", org.tenant_id)
    assert result.exit_code == 0, result.stderr
    assert stored().tenant_id == org.tenant_id


def test_auth_again_lets_the_admin_pick_another_organisation(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    first, second = list(sandbox.state.orgs.values())[:2]
    assert cli("auth", "-c", "acme", "--tenant", first.tenant_id).exit_code == 0
    assert stored().tenant_id == first.tenant_id
    again = cli("auth", "-c", "acme", "--tenant", second.name)
    assert again.exit_code == 0, again.stderr
    assert stored().tenant_id == second.tenant_id
    assert second.name in again.stdout
    # Off a terminal and without --tenant, the choice is demanded again, not assumed.
    third = cli("auth", "-c", "acme")
    assert third.exit_code == 2
    assert first.name in third.stderr + third.stdout and second.name in third.stderr + third.stdout
    assert stored().tenant_id == second.tenant_id


def test_several_orgs_without_a_terminal_or_tenant_exit_2_listing_them(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 2
    assert "--tenant" in result.stderr
    for org in sandbox.state.orgs.values():
        assert org.name in result.stderr and org.tenant_id in result.stderr
    assert TokenStore(load_settings()).load("acme") is None


def test_unknown_tenant_exits_2_in_json_too(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    result = cli("auth", "-c", "acme", "--tenant", "No Such Org", "--json")
    assert result.exit_code == 2
    document = result.json()
    assert isinstance(document, dict)
    assert document["error"]["code"] == "usage"
    assert "No Such Org" in document["error"]["message"]


# -- what goes wrong -------------------------------------------------------------------------


def test_wrong_state_is_refused_without_exchanging_the_code(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    browser.tamper = lambda url: url.replace("state=", "state=forged")
    result = cli("auth", "-c", "acme", "--timeout", "1")
    assert result.exit_code == 1
    assert "not from the sign-in uku-xero is waiting for" in result.stderr
    assert "no sign-in redirect arrived within 1 s (1 not of this sign-in ignored)" in (
        result.stderr
    )
    assert token_calls(sandbox, "authorization_code") == []
    assert browser.pages[0].status_code == 400
    assert TokenStore(load_settings()).load("acme") is None


def test_a_forged_error_redirect_does_not_end_the_sign_in(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser, port: int
) -> None:
    tenant = only_one_org(sandbox)
    forged = f"http://localhost:{port}/callback?error=access_denied&state=wrong"

    def forge_first(location: str) -> str:
        browser.pages.append(httpx.get(forged, timeout=10))  # another page gets there first
        return location

    browser.tamper = forge_first
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert browser.pages[0].status_code == 400 and "still waiting" in browser.pages[0].text
    assert browser.pages[1].status_code == 200
    assert "ignored a redirect" in result.stderr
    assert stored().tenant_id == tenant


def test_access_denied_ends_with_a_clear_message(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    sandbox.config.consent = "deny"
    result = cli("auth", "-c", "acme", "--json")
    assert result.exit_code == 1
    document = result.json()
    assert isinstance(document, dict)
    assert document["error"]["code"] == "access_denied"
    assert "declined" in document["error"]["message"]
    assert "Not connected" in browser.pages[0].text
    assert token_calls(sandbox, "authorization_code") == []


def test_timeout_ends_the_wait_and_frees_the_port(
    cli: Cli, xero: RunningServer, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uku_xero_cli.cli.auth_cmd.open_browser", lambda url: True)
    result = cli("auth", "-c", "acme", "--timeout", "1")
    assert result.exit_code == 1
    assert "no sign-in redirect arrived within 1 s" in result.stderr
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_port_in_use_says_how_to_fix_it(cli: Cli, xero: RunningServer, browser: Browser) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = cli("auth", "-c", "acme", "--port", str(busy))
    assert result.exit_code == 1
    assert f"port {busy}" in result.stderr and "--port" in result.stderr
    assert browser.visited == []


@pytest.mark.parametrize("bad", ["70000", "-1", "0"])
def test_a_port_out_of_range_is_a_usage_error(cli: Cli, xero: RunningServer, bad: str) -> None:
    result = cli("auth", "-c", "acme", "--port", bad, "--json")
    assert result.exit_code == 2, result.stderr
    error = result.json()["error"]  # type: ignore[index]
    assert error["code"] == "usage" and "--port" in error["message"]
    assert "unexpected" not in result.stdout + result.stderr


def test_a_redirect_port_out_of_range_in_the_environment_is_a_usage_error(
    cli: Cli, xero: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UKU_XERO_REDIRECT_PORT", "70000")
    result = cli("auth", "-c", "acme", "--json")
    assert result.exit_code == 2
    assert "from 1 to 65,535" in result.json()["error"]["message"]  # type: ignore[index]


def test_a_port_this_user_may_not_listen_on_says_how_to_fix_it(
    cli: Cli, xero: RunningServer, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import socketserver

    def refuse(self: object) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socketserver.TCPServer, "server_bind", refuse)
    result = cli("auth", "-c", "acme", "--port", "80")
    assert result.exit_code == 1
    assert "cannot listen on port 80" in result.stderr and "--port N" in result.stderr
    assert "unexpected" not in result.stderr and browser.visited == []


def test_sandbox_port_out_of_range_is_a_usage_error(cli: Cli) -> None:
    result = cli("sandbox", "--port", "99999")
    assert result.exit_code == 2
    assert "--port" in result.stderr and "unexpected" not in result.stderr


def test_unregistered_redirect_uri_is_explained(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages: list[httpx.Response] = []
    monkeypatch.setattr(
        "uku_xero_cli.cli.auth_cmd.open_browser",
        lambda url: pages.append(httpx.get(url, follow_redirects=False)),
    )
    unregistered = free_port()
    result = cli("auth", "-c", "acme", "--port", str(unregistered), "--timeout", "1")
    # Xero shows an error page instead of redirecting: the wait ends by timeout.
    assert result.exit_code == 1
    assert pages[0].status_code == 400 and "redirect_uri" in pages[0].text
    uri = f"http://localhost:{unregistered}/callback"
    opening, _, error = result.stderr.partition("error:")
    assert "Invalid redirect_uri" in opening and uri in opening  # said while waiting
    assert "no sign-in redirect arrived" in error
    assert "Invalid redirect_uri" in error and uri in error and "--port" in error


def test_a_scope_the_app_may_not_use_is_explained(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    sandbox.config.allowed_scopes = ["offline_access", "openid", "accounting.transactions"]
    result = cli("auth", "-c", "acme", "--json")
    assert result.exit_code == 1
    error = result.json()["error"]  # type: ignore[index]
    assert "invalid_scope" in error["message"]
    assert "--scopes" in error["hint"]
    assert token_calls(sandbox, "authorization_code") == []


def test_scopes_option_asks_for_the_broad_scopes_of_older_apps(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    only_one_org(sandbox)
    sandbox.config.allowed_scopes = ["offline_access", "openid", "accounting.transactions"]
    result = cli("auth", "-c", "acme", "--scopes", "offline_access openid accounting.transactions")
    assert result.exit_code == 0, result.stderr
    assert stored().scopes == ["offline_access", "openid", "accounting.transactions"]


def test_the_broad_preset_asks_for_what_older_apps_may_use(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    only_one_org(sandbox)
    sandbox.config.allowed_scopes = BROAD.split()
    result = cli("auth", "-c", "acme", "--scopes", "broad")
    assert result.exit_code == 0, result.stderr
    assert stored().scopes == BROAD.split()


def test_scopes_without_offline_access_say_to_include_it(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    only_one_org(sandbox)
    result = cli("auth", "-c", "acme", "--scopes", "openid profile email accounting.contacts")
    assert result.exit_code == 1
    assert "no refresh token" in result.stderr and "nothing was stored" in result.stderr
    assert "include offline_access in --scopes" in result.stderr
    assert len(token_calls(sandbox, "authorization_code")) == 1  # the sign-in itself worked
    # The browser is told the same, not "Connected".
    page = browser.pages[0]
    assert page.status_code == 400 and "<title>Not connected · uku-xero</title>" in page.text
    shown = " ".join(page_text(page).split())
    assert all(line in shown for line in terminal_error(result.stderr))
    assert "Connected company" not in shown
    assert TokenStore(load_settings()).load("acme") is None


def test_no_organisation_to_connect_is_exit_1_with_advice(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    sandbox.config.consent_tenants = []
    result = cli("auth", "-c", "acme")
    assert result.exit_code == 1, result.stderr
    assert "no organisation it may connect" in result.stderr
    assert TokenStore(load_settings()).load("acme") is None


# -- paste mode (a real process: stdin and stderr are pipes) ---------------------------------


def test_no_browser_prints_the_url_and_accepts_the_pasted_redirect(
    xero: RunningServer, sandbox: Sandbox, port: int, tmp_path: Path
) -> None:
    tenant = only_one_org(sandbox)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uku_xero_cli", "auth", "-c", "acme", "--no-browser", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        url = ""
        while not url:
            line = proc.stderr.readline()
            assert line, "auth ended before printing the URL"
            if line.strip().startswith("http"):
                url = line.strip()
        redirect = httpx.get(url, follow_redirects=False).headers["location"]
        proc.stdin.write("not a url\n")
        proc.stdin.write(redirect + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out)["organisation"]["tenant_id"] == tenant
    assert "not the redirect URL" in err
    assert stored().tenant_id == tenant


# -- the browser's page tells the outcome, in the terminal's words ---------------------------


def test_two_organisations_off_a_terminal_are_shown_in_the_browser_as_in_the_terminal(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, browser: Browser
) -> None:
    result = cli("auth", "-c", "acme-2")
    assert result.exit_code == 2
    page = browser.pages[0]
    assert page.status_code == 400 and "Not connected" in page.text
    shown = " ".join(page_text(page).split())
    lines = terminal_error(result.stderr)
    assert len(lines) >= 3  # the error, "choose one of them:", one line per organisation
    for line in lines:
        assert " ".join(line.split()) in shown
    for org in sandbox.state.orgs.values():
        assert f"uku-xero auth -c acme-2 --tenant '{org.name}'" in result.stderr


# -- auth never just waits -------------------------------------------------------------------


def test_a_browser_that_cannot_be_opened_is_said_and_named_first_when_time_runs_out(
    cli: Cli, xero: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    result = cli("auth", "-c", "acme", "--timeout", "1")
    assert result.exit_code == 1
    waiting, _, error = result.stderr.partition("error:")
    assert "No browser could be opened (Python's webbrowser found no browser to run" in waiting
    assert "uku-xero auth -c acme --no-browser" in waiting
    causes = [error.index(f"\n{n}. ") for n in (1, 2, 3, 4)]
    assert causes == sorted(causes)
    assert "1. no browser could be opened" in error


def test_no_graphical_session_and_no_browser_variable_opens_nothing(
    cli: Cli, xero: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    monkeypatch.setattr("sys.platform", "linux")
    result = cli("auth", "-c", "acme", "--timeout", "1")
    assert result.exit_code == 1
    assert opened == []  # text browsers would take over the terminal
    assert "No browser could be opened (no graphical session here" in result.stderr


def test_a_browser_that_fails_to_start_is_said(
    cli: Cli, xero: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    def broken(url: str) -> bool:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setenv("BROWSER", "no-such-browser")
    monkeypatch.setattr("webbrowser.open", broken)
    result = cli("auth", "-c", "acme", "--timeout", "1")
    assert result.exit_code == 1
    assert "No browser could be opened (webbrowser: could not locate runnable browser)" in (
        result.stderr
    )


def test_when_time_runs_out_an_unknown_client_id_is_the_first_cause(
    cli: Cli, xero: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XERO_CLIENT_ID", "NOT0A0XERO0APP")
    pages: list[httpx.Response] = []
    monkeypatch.setattr(
        "uku_xero_cli.cli.auth_cmd.open_browser",
        lambda url: pages.append(httpx.get(url, follow_redirects=False)),
    )
    result = cli("auth", "-c", "acme", "--timeout", "1", "--json")
    assert result.exit_code == 1
    # What the emulator's page says, as Xero's does: it never redirects back.
    assert pages[0].status_code == 400
    assert "unauthorized_client : Unknown client or client not enabled" in pages[0].text
    error = result.json()["error"]  # type: ignore[index]
    assert error["code"] == "auth_timeout"
    first = error["hint"].splitlines()[1]
    assert first.startswith("1. Xero's page said 'unauthorized_client : Unknown client")
    assert "NOT0A0XERO0APP" in first and "My Apps at developer.xero.com" in first
    assert "Invalid redirect_uri" in error["hint"].splitlines()[2]
    assert "`uku-xero auth -c acme` again" in error["hint"].splitlines()[3]
