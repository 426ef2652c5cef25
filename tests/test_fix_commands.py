"""Every command a message tells a person to run is complete: it names the company it
concerns (`-c NAME`), so copying it never acts on the default company.

The failing paths run for a company named `acme-2` and every `uku-xero COMMAND` printed is
checked; a source-level check finds hint strings that name a command without `-c`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import uku_xero_cli
from tests.conftest import CliResult, sign_in_sandbox
from tests.connected import connect_company
from uku_xero_cli.cli.app import COMMANDS
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import open_company_store
from uku_xero_cli.sync.reload import reload_lock

Cli = Callable[..., CliResult]
COMPANY = "acme-2"
# Commands about no one company: they take no -c, or -c means something else.
WITHOUT_COMPANY = {"companies", "sandbox", "demo"}
# `uku-xero COMMAND` as a command line (not a heading such as "uku-xero doctor: ...").
COMMAND = re.compile(
    rf"uku-xero ({'|'.join(sorted(COMMANDS, key=len, reverse=True))})(?=[\s`'\"]|$)[^`\n]*"
)


def printed_commands(text: str) -> list[str]:
    return [m.group(0) for m in COMMAND.finditer(text) if m.group(1) not in WITHOUT_COMPANY]


def assert_every_command_names_the_company(result: CliResult) -> list[str]:
    shown = result.stdout + result.stderr
    commands = printed_commands(shown)
    assert commands, f"no command printed:\n{shown}"
    for command in commands:
        assert f" -c {COMPANY}" in command, command
    return commands


@pytest.fixture
def sandbox(port: int) -> Sandbox:
    return sign_in_sandbox(port)


@pytest.fixture
def xero(sign_in_xero: RunningServer) -> RunningServer:
    return sign_in_xero


def test_not_connected(cli: Cli, xero: RunningServer) -> None:
    result = cli("status", "-c", COMPANY)
    assert result.exit_code == 3
    assert "uku-xero auth -c acme-2" in assert_every_command_names_the_company(result)[0]


def test_needs_reauthorization(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    record = connect_company(sandbox, COMPANY, expires_in=0)
    sandbox.state.refresh_tokens[record.refresh_token or ""].revoked = True
    for args in (("status",), ("reload",), ("check-paid",), ("orgs",)):
        result = cli(*args, "-c", COMPANY)
        assert result.exit_code == 4, (args, result.stderr)
        assert_every_command_names_the_company(result)


def test_organisation_gone(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    record = connect_company(sandbox, COMPANY)
    control.disconnect(sandbox, record.connection_id or "")
    result = cli("status", "-c", COMPANY)
    assert result.exit_code == 4
    commands = assert_every_command_names_the_company(result)
    assert any("orgs -c acme-2 --use" in command for command in commands)


def test_damaged_token_file(cli: Cli, xero: RunningServer) -> None:
    path = load_settings().token_file(COMPANY)
    path.parent.mkdir(parents=True)
    path.write_text("token = [broken")
    result = cli("status", "-c", COMPANY, "--offline")
    assert result.exit_code == 4
    commands = assert_every_command_names_the_company(result)
    assert any(c.startswith("uku-xero disconnect -c acme-2 --yes") for c in commands)


def test_reload_already_running(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox, COMPANY)
    with reload_lock(load_settings(), COMPANY):
        result = cli("reload", "-c", COMPANY)
    assert result.exit_code == 1
    assert "uku-xero reload -c acme-2 --wait" in assert_every_command_names_the_company(result)


def test_nothing_imported_yet(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox, COMPANY)
    with open_company_store(load_settings(), COMPANY):
        pass  # an empty store: no reload yet
    for args, expected in (
        (("stats",), "uku-xero reload -c acme-2"),
        (("clients",), "uku-xero clients import -c acme-2 FILE.csv"),
        (("accounts",), "uku-xero reload -c acme-2 --only accounts"),
    ):
        result = cli(*args, "-c", COMPANY)
        assert result.exit_code == 0, result.stderr
        assert expected in assert_every_command_names_the_company(result)


def test_push_before_any_reload(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    from tests.invoice_helpers import invoice, write

    connect_company(sandbox, COMPANY)
    file = write(tmp_path, "invoice.json", invoice())
    result = cli("push-invoice", "-c", COMPANY, file, "--dry-run")
    assert result.exit_code == 2
    assert "uku-xero reload -c acme-2" in assert_every_command_names_the_company(result)[0]


def test_a_missing_scope(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox, COMPANY, scopes="offline_access openid accounting.contacts")
    result = cli("reload", "-c", COMPANY, "--only", "invoices")
    assert result.exit_code == 4
    assert_every_command_names_the_company(result)


def test_an_unfinished_reload(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox, COMPANY)
    sandbox.faults.fail("/api.xro/2.0/Invoices", status=400, count=1)
    failed = cli("reload", "-c", COMPANY)
    assert failed.exit_code == 1
    result = cli("status", "-c", COMPANY)
    commands = assert_every_command_names_the_company(result)
    assert "uku-xero reload -c acme-2 --only invoices" in commands


def test_auth_that_times_out(
    cli: Cli, xero: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uku_xero_cli.cli.auth_cmd.open_browser", lambda url: True)
    result = cli("auth", "-c", COMPANY, "--timeout", "1")
    assert result.exit_code == 1
    assert len(assert_every_command_names_the_company(result)) >= 1


def test_auth_declined(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_auth_cli import Browser

    monkeypatch.setattr("uku_xero_cli.cli.auth_cmd.open_browser", Browser())
    sandbox.config.consent = "deny"
    result = cli("auth", "-c", COMPANY)
    assert result.exit_code == 1
    assert "uku-xero auth -c acme-2" in assert_every_command_names_the_company(result)[-1]


# -- the source: no hint names a command without the company ---------------------------------


def _strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every string literal and f-string outside docstrings, with its line."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )
            yield node.lineno, text
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_no_message_in_the_source_names_a_command_without_the_company() -> None:
    package = Path(uku_xero_cli.__file__).parent
    # The emulator speaks of no company; the demo prints its own throw-away commands; the
    # completion scripts are shell code.
    skipped = {package / "sandbox", package / "cli" / "demo.py"}
    skipped.add(package / "cli" / "completion_scripts.py")
    found = []
    for path in sorted(package.rglob("*.py")):
        if any(path == s or s in path.parents for s in skipped):
            continue
        for line, text in _strings(ast.parse(path.read_text(), str(path))):
            for command in printed_commands(text):
                if " -c " not in command:
                    found.append(f"{path.relative_to(package)}:{line}: {command}")
    assert found == []
