"""`uku-xero doctor`: each check's line, the fix under a failed one, and exit codes as `status`.

Against the emulator over loopback HTTP, with a company connected the way `auth` leaves it
and then broken one way at a time, as a support engineer finds them.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store.opening import current_store_path
from uku_xero_cli.tokens import CompanyTokens, TokenStore

Cli = Callable[..., CliResult]
NARROW_SCOPES = (
    "offline_access openid profile email accounting.contacts accounting.settings "
    "accounting.invoices.read"
)


@pytest.fixture
def acme(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> Sandbox:
    """Company acme connected and reloaded: every check passes."""
    connect_company(sandbox)
    assert cli("reload", "-c", "acme", "-q").exit_code == 0
    sandbox.log.clear()
    return sandbox


def checks(result: CliResult) -> dict[str, dict[str, Any]]:
    document = result.json()
    assert isinstance(document, dict)
    return {c["name"]: c for c in document["checks"]}


def line(result: CliResult, name: str) -> str:
    """The text line of the check `name` (mark, name and the start of its detail), spaces
    squeezed, and its fix line when it has one."""
    lines = result.stdout.splitlines()
    at = next(i for i, text in enumerate(lines) if re.match(rf"^. {re.escape(name)}  ", text))
    shown = re.sub(r"  +", " ", lines[at])
    for text in lines[at + 1 :]:
        if re.match(r"^[✓!✗-] ", text):
            break
        if text.lstrip().startswith("fix: "):
            shown += "\n" + text.strip()
    return shown


def test_a_healthy_company_passes_every_check_and_exits_0(cli: Cli, acme: Sandbox) -> None:
    result = cli("doctor", "-c", "acme")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "uku-xero doctor: company 'acme'"
    assert result.stdout.rstrip().endswith("every check passed")
    for name in ("client id", "token refresh", "organisation", "clock", "scopes", "store"):
        assert line(result, name).startswith("✓ "), line(result, name)
    assert re.match(
        r"✓ rate limit today 49\d\d requests left today", line(result, "rate limit today")
    )
    assert "reloaded 0 min ago" in line(result, "reload: clients (contacts)")
    assert line(result, "lock: reload").endswith("free")


def test_doctor_is_read_only_at_xero_but_for_one_refresh(cli: Cli, acme: Sandbox) -> None:
    before = TokenStore(load_settings()).load("acme")
    assert cli("doctor", "-c", "acme").exit_code == 0
    sent = [(e.method, e.path) for e in acme.log.entries()]
    assert sorted(sent) == [
        ("GET", "/api.xro/2.0/Organisation"),
        ("GET", "/connections"),
        ("POST", "/connect/token"),
    ]
    after = TokenStore(load_settings()).load("acme")
    assert before and after and after.refresh_token != before.refresh_token  # rotated, saved


def test_json_lists_every_check_with_status_detail_and_fix(cli: Cli, acme: Sandbox) -> None:
    result = cli("doctor", "-c", "acme", "--json")
    assert result.exit_code == 0
    document = result.json()
    assert isinstance(document, dict) and document["ok"] is True and "error" not in document
    first = document["checks"][0]
    assert set(first) == {"name", "status", "detail", "fix"}
    assert {c["status"] for c in document["checks"]} == {"ok"}


def test_no_client_id_fails_with_the_setting_to_make_and_exit_2(
    cli: Cli, acme: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XERO_CLIENT_ID")
    result = cli("doctor", "-c", "acme")
    assert result.exit_code == 2
    config = load_settings().config_file
    assert line(result, "client id") == (
        "✗ client id no Xero client id configured\n"
        f'fix: set client_id = "<the app\'s client id>" in {config} (or export '
        "XERO_CLIENT_ID=\"<the app's client id>\"); the id is on the app's Configuration page "
        "at developer.xero.com"
    )
    assert "error: 2 check(s) of company 'acme' failed: client id, token refresh" in result.stderr


def test_a_client_id_not_shaped_like_xeros_is_a_warning(
    cli: Cli, acme: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.connection.doctor import config_checks

    monkeypatch.setenv("UKU_XERO_TOKEN_URL", "https://identity.xero.com/connect/token")
    shaped = config_checks(
        load_settings().with_changes(client_id="116F90CBBCFB407D9645A4DBC376E52B")
    )
    assert shaped[0].status == "ok"
    lower = config_checks(
        load_settings().with_changes(client_id="116f90cbbcfb407d9645a4dbc376e52b")
    )
    assert lower[0].status == "warning" and "32 hexadecimal characters" in lower[0].detail


def test_a_revoked_refresh_token_fails_the_refresh_and_exits_4(cli: Cli, acme: Sandbox) -> None:
    record = TokenStore(load_settings()).load("acme")
    assert record is not None and record.refresh_token
    acme.state.refresh_tokens[record.refresh_token].revoked = True
    result = cli("doctor", "-c", "acme")
    assert result.exit_code == 4
    assert line(result, "token refresh").endswith("fix: run `uku-xero auth -c acme`")
    assert line(result, "Xero").startswith("- Xero ")  # nothing more is asked of Xero
    assert line(result, "store").startswith("✓ ")  # the local checks still run


def test_an_organisation_disconnected_in_xero_fails_with_the_switch_command(
    cli: Cli, acme: Sandbox
) -> None:
    record = TokenStore(load_settings()).load("acme")
    assert record is not None and record.connection_id
    control.disconnect(acme, record.connection_id)
    result = cli("doctor", "-c", "acme", "--json")
    assert result.exit_code == 4
    found = checks(result)["organisation"]
    assert found["status"] == "failed" and "no longer connected in Xero" in found["detail"]
    other = acme.state.orgs[acme.state.default_user().tenant_ids[1]].name
    assert found["fix"] == (
        "run `uku-xero auth -c acme`, or switch to another organisation with "
        f'`uku-xero orgs -c acme --use "{other}"`'
    )
    assert result.json()["error"]["code"] == "checks_failed"


def test_a_company_never_connected_exits_3_and_still_checks_the_config(
    cli: Cli, xero: RunningServer
) -> None:
    # Known (a token file, as disconnect leaves it) but not connected: a name that is no
    # company at all is refused before any check (`no company 'beta'`).
    TokenStore(load_settings()).save(CompanyTokens(company="beta").cleared())
    result = cli("doctor", "-c", "beta")
    assert result.exit_code == 3
    assert line(result, "connection on file") == (
        "✗ connection on file company 'beta' is not connected to Xero\n"
        "fix: connect it with `uku-xero auth -c beta`"
    )
    assert line(result, "redirect port").startswith("✓ ")
    assert line(result, "store").startswith("! store")


def test_a_wrong_clock_fails_and_says_how_far_off_it_is(cli: Cli, acme: Sandbox) -> None:
    acme.clock.advance(600)  # Xero's clock (the emulator's) is now 10 minutes ahead
    result = cli("doctor", "-c", "acme", "--json")
    assert result.exit_code == 1
    found = checks(result)["clock"]
    assert found["status"] == "failed"
    assert re.match(r"this machine's clock is (599|60[01]) s behind Xero's", found["detail"])
    assert (
        found["fix"]
        == "set the clock right and keep it so: `sudo timedatectl set-ntp true` (Linux)"
    )


def test_files_others_can_read_fail_with_the_chmod_that_fixes_them(cli: Cli, acme: Sandbox) -> None:
    settings = load_settings()
    settings.token_file("acme").chmod(0o644)
    settings.stores_dir.chmod(0o755)
    # Named as atomic_write names them, and left a while ago (fsutil.stale_temporaries).
    leftover = settings.companies_dir / ".acme.toml.x1y2z3a_.tmp"
    leftover.write_text("half a token file")
    os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    result = cli("doctor", "-c", "acme", "--json")
    assert result.exit_code == 1
    found = checks(result)
    assert found["token file"]["fix"] == f"chmod 600 {settings.token_file('acme')}"
    assert "mode 0644" in found["token file"]["detail"]
    assert found["data directory"]["fix"] == f"chmod 700 {settings.stores_dir}"
    assert found["temporary token files"]["status"] == "warning"
    assert found["temporary token files"]["fix"] == f"rm {leftover}"


def test_a_damaged_store_fails_with_the_commands_that_rebuild_it(cli: Cli, acme: Sandbox) -> None:
    path = current_store_path(load_settings(), "acme")
    assert path is not None
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = b"\xff" * 8192  # pages after the header: structure, not just data
    path.write_bytes(bytes(data))
    result = cli("doctor", "-c", "acme", "--json")
    assert result.exit_code == 1
    found = checks(result)["store"]
    assert found["status"] == "failed" and found["error"]["code"] == "store"
    assert found["fix"] == f"mv {path} {path}.damaged && uku-xero reload -c acme --full"


def test_missing_scopes_warn_with_the_auth_command_that_asks_for_them(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, scopes=NARROW_SCOPES)
    result = cli("doctor", "-c", "acme", "--json")
    found = checks(result)
    push = found["scopes: push-invoice"]
    assert push["status"] == "warning" and "accounting.invoices" in push["detail"]
    assert push["fix"].startswith(
        f'uku-xero auth -c acme --scopes "{NARROW_SCOPES} accounting.invoices"'
    )
    assert "scopes: check-paid" not in found  # accounting.invoices.read covers it


def test_the_days_rate_limit_running_low_warns_and_reached_exits_5(cli: Cli, acme: Sandbox) -> None:
    acme.config.day_limit = 300
    low = checks(cli("doctor", "-c", "acme", "--json"))["rate limit today"]
    assert low["status"] == "warning" and low["detail"].startswith("2")
    acme.limits.force("day", count=1, retry_after=3600)
    reached = cli("doctor", "-c", "acme", "--json")
    assert reached.exit_code == 5
    assert checks(reached)["rate limit today"]["error"]["code"] == "rate_limited"


HOLD_RELOAD_LOCK = textwrap.dedent(
    """
    import time
    from uku_xero_cli.locks import reload_lock
    from uku_xero_cli.settings import load_settings
    with reload_lock(load_settings(), "acme"):
        print("held", flush=True)
        time.sleep(30)
    """
)


def test_a_held_lock_names_its_holder_and_a_dead_holders_note_is_harmless(
    cli: Cli, acme: Sandbox
) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD_RELOAD_LOCK], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        held = checks(cli("doctor", "-c", "acme", "--json"))["lock: reload"]
        assert held["detail"].startswith(f"held by pid {other.pid} (uku-xero) for 0 min")
    finally:
        other.kill()
        other.wait()
    # Killed while holding it: the OS let the lock go, the note of who held it stays.
    freed = checks(cli("doctor", "-c", "acme", "--json"))["lock: reload"]
    assert freed["status"] == "ok"
    assert freed["detail"] == (
        f"free (pid {other.pid}, which held it, ended without letting go: harmless)"
    )


def test_a_taken_redirect_port_warns_with_the_way_out(
    cli: Cli, acme: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("UKU_XERO_REDIRECT_PORT", str(port))
        result = cli("doctor", "-c", "acme", "--json")
    assert result.exit_code == 0  # a warning: the connection itself is fine
    found = checks(result)["redirect port"]
    assert found["status"] == "warning" and "already in use" in found["detail"]
    assert found["fix"].startswith(f"stop the program using port {port} (`lsof -i :{port}`)")
    assert checks(result)["redirect URI"]["detail"].startswith(f"http://localhost:{port}/callback")


def test_all_checks_every_company_and_exits_with_the_worst(cli: Cli, acme: Sandbox) -> None:
    connect_company(acme, "beta")
    record = TokenStore(load_settings()).load("beta")
    assert record is not None and record.refresh_token
    acme.state.refresh_tokens[record.refresh_token].revoked = True
    result = cli("doctor", "--all", "--json")
    assert result.exit_code == 4
    document = result.json()
    assert isinstance(document, dict)
    assert [(c["company"], c["ok"]) for c in document["companies"]] == [
        ("acme", True),
        ("beta", False),
    ]
    assert document["companies"][1]["error"]["code"] == "checks_failed"
    assert document["error"]["code"] == "companies_failed"
