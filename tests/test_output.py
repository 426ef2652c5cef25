"""One output policy: every command meets a cause with the same error document and exit code,
--json prints exactly one document (errors included), and commands load only when used."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company
from tests.invoice_helpers import invoice, write
from uku_xero_cli.cli.app import COMMANDS
from uku_xero_cli.connection.known import unknown_company
from uku_xero_cli.errors import error_document
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import (
    CompanyTokens,
    TokenStore,
    not_connected,
    reauthorization_required,
)

PACKAGE = Path(__file__).resolve().parent.parent / "uku_xero_cli"
COMMAND_MODULES = sorted((PACKAGE / "cli").glob("*_cmd.py"))


def one_document(result: CliResult) -> dict[str, Any]:
    """stdout must hold exactly one JSON document (json.loads refuses trailing text)."""
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


# -- one cause, one error, in every command -----------------------------------------------------

# Every command that needs the company's Xero connection, with what it takes besides.
NEEDS_CONNECTION = {
    "status": [],
    "status --offline": ["--offline"],
    "reload": [],
    "push-invoice": ["INVOICE"],
    "check-paid": [],
    "orgs": [],
    "disconnect": ["--yes"],
    "token": [],
}


def run(cli: Any, command: str, company: str, tmp_path: Path, *extra: str) -> CliResult:
    name = command.split()[0]
    args = ["-c", company, *extra]
    for word in NEEDS_CONNECTION.get(command, []):
        args.append(write(tmp_path, "inv.json", invoice()) if word == "INVOICE" else word)
    return cli(name, *args)


def assert_fails_with(
    cli: Any, command: str, company: str, tmp_path: Path, error: Exception, *, exit_code: int
) -> None:
    """`command` ends with exactly `error`'s document under --json, and its message and hint
    on stderr in text, with `exit_code` both times."""
    expected = error_document(error)
    machine = run(cli, command, company, tmp_path, "--json")
    assert machine.exit_code == exit_code
    assert one_document(machine)["error"] == expected
    human = run(cli, command, company, tmp_path)
    assert human.exit_code == exit_code
    assert f"error: {expected['message']}\n{expected['hint']}\n" in human.stderr


def disconnected(company: str) -> None:
    """A company that exists (its token file) without a connection, as `disconnect` leaves it."""
    TokenStore(load_settings()).save(CompanyTokens(company=company).cleared())


@pytest.mark.parametrize("command", list(NEEDS_CONNECTION))
def test_not_connected_is_the_same_error_and_exit_3_in_every_command(
    cli: Any, command: str, tmp_path: Path
) -> None:
    disconnected("ghost")
    assert_fails_with(cli, command, "ghost", tmp_path, not_connected("ghost"), exit_code=3)


@pytest.mark.parametrize("command", [*NEEDS_CONNECTION, "stats", "clients", "accounts"])
def test_an_unknown_company_is_the_same_error_and_exit_3_in_every_command(
    cli: Any, command: str, tmp_path: Path
) -> None:
    disconnected("acme")
    settings = load_settings()
    before = sorted(settings.config_dir.rglob("*")) + sorted(settings.data_dir.rglob("*"))
    error = unknown_company("acm", ["acme"])
    assert error.message == "no company 'acm'; did you mean 'acme'?"
    assert_fails_with(cli, command, "acm", tmp_path, error, exit_code=3)
    after = sorted(settings.config_dir.rglob("*")) + sorted(settings.data_dir.rglob("*"))
    assert after == before  # no lock, store or token file for the mistyped name


@pytest.mark.parametrize("command", [c for c in NEEDS_CONNECTION if c != "disconnect"])
def test_reauthorization_needed_is_the_same_error_and_exit_4_in_every_command(
    cli: Any, command: str, sandbox: Sandbox, tmp_path: Path
) -> None:
    connect_company(sandbox, "acme")
    TokenStore(load_settings()).mark_needs_reauth("acme", "Xero refused the refresh token")
    error = reauthorization_required("acme", "Xero refused the refresh token")
    assert_fails_with(cli, command, "acme", tmp_path, error, exit_code=4)
    assert len(sandbox.log) == 0  # known from the token file: Xero is not asked


def test_a_damaged_token_file_has_the_same_code_in_status_and_reload(
    cli: Any, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme")
    load_settings().token_file("acme").write_text("not = [toml", encoding="utf-8")
    for args in (["status", "--offline"], ["reload"]):
        result = cli(*args, "-c", "acme", "--json")
        assert result.exit_code == 4
        assert one_document(result)["error"]["code"] == "token_file_damaged"


USAGE_ERRORS = {
    # Typer finds these before any command runs...
    **{name: [name, "--no-such-option"] for name in COMMANDS},
    "clients import": ["clients", "import", "--no-such-option"],
    "reload --months 0": ["reload", "--months", "0"],
    # ...and the commands these.
    "reload --parallel without --all": ["reload", "--parallel", "2"],
    "reload --all with --company": ["reload", "--all", "-c", "acme"],
    "orgs --select with --use": ["orgs", "--select", "--use", "Acme"],
    "an empty --company": ["status", "-c", ""],
}


@pytest.mark.parametrize("args", list(USAGE_ERRORS.values()), ids=list(USAGE_ERRORS))
def test_a_usage_error_exits_2_and_prints_one_error_document_with_json(
    cli: Any, args: list[str]
) -> None:
    result = cli(*args, "--json")
    assert result.exit_code == 2, result.stderr
    error = one_document(result)["error"]
    assert error["code"] in ("usage", "invalid_company") and error["message"]
    human = cli(*args)
    assert human.exit_code == 2
    assert human.stdout == ""
    assert "rror" in human.stderr  # Typer's "Error: ..." or our "error: ..."


@pytest.mark.parametrize(
    "args", [["status", "--all", "--offline"], ["reload", "--all"]], ids=["status", "reload"]
)
def test_all_companies_documents_carry_each_companys_error_with_its_hint(
    cli: Any, sandbox: Sandbox, args: list[str]
) -> None:
    connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    store = TokenStore(load_settings())
    store.mark_needs_reauth("acme", "Xero refused the refresh token")
    store.mark_needs_reauth("beta", "Xero refused the refresh token")
    result = cli(*args, "--json")
    assert result.exit_code == 4
    document = one_document(result)
    for entry in document["companies"]:
        company = entry["company"]
        assert entry["error"] == error_document(
            reauthorization_required(company, "Xero refused the refresh token")
        )
        assert entry["error"]["hint"] == f"run `uku-xero auth -c {company}`"
    assert document["error"]["code"] == "companies_failed"
    assert document["error"]["message"] == "2 of 2 companies failed: acme, beta"
    human = cli(*args)
    assert human.exit_code == 4
    for company in ("acme", "beta"):
        assert f"error: company '{company}' needs re-authorization" in human.stderr
        assert f"\nrun `uku-xero auth -c {company}`\n" in human.stderr


def test_all_companies_exit_with_the_most_severe_error(cli: Any, sandbox: Sandbox) -> None:
    connect_company(sandbox, "acme")
    TokenStore(load_settings()).save(CompanyTokens(company="beta"))  # not connected: 3
    assert cli("status", "--all", "--offline", "--json").exit_code == 3
    TokenStore(load_settings()).mark_needs_reauth("acme", "Xero refused the refresh token")
    assert cli("status", "--all", "--offline", "--json").exit_code == 4  # 4 is worse than 3


# -- the policy stays in one place --------------------------------------------------------------


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda p: p.name)
def test_commands_never_choose_between_json_and_text_themselves(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"\.json_mode\b", source), "hand the result to out.emit instead"
    assert "json.dump" not in source and "out.json(" not in source


def test_every_render_function_a_command_names_exists() -> None:
    from importlib import import_module

    from uku_xero_cli.cli.output import RENDER_PACKAGE

    named = {
        reference
        for path in COMMAND_MODULES
        for reference in re.findall(r'emit\(\s*[^"]*"(\w+:\w+)"', path.read_text(encoding="utf-8"))
    }
    assert len(named) >= 12
    for reference in named:
        module, _, name = reference.partition(":")
        assert callable(getattr(import_module(f"{RENDER_PACKAGE}.{module}"), name, None)), reference


def test_error_documents_are_built_only_by_errors_error_document() -> None:
    builders = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "sandbox" not in path.parts  # the emulator answers in Xero's own error shapes
        and re.search(r'"code":|\["code"\]\s*=', path.read_text(encoding="utf-8"))
    ]
    assert builders == ["errors.py"]


def test_no_module_but_the_exit_code_table_writes_an_exit_code_number() -> None:
    found = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"Exit\(\s*\d|def exit_code\b", path.read_text(encoding="utf-8"))
    ]
    assert found == []


# -- start-up: commands load when used ----------------------------------------------------------

LOADED = """
import contextlib, io, json, sys
from uku_xero_cli.cli.app import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def loaded_modules(*args: str) -> tuple[int, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XERO_", "UKU_XERO_"))}
    env["UKU_XERO_CONFIG_DIR"] = os.environ["UKU_XERO_CONFIG_DIR"]
    env["UKU_XERO_DATA_DIR"] = os.environ["UKU_XERO_DATA_DIR"]
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, env=env, check=True
    )
    code, modules = json.loads(done.stdout)
    return code, set(modules)


def command_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if re.fullmatch(r"uku_xero_cli\.cli\.\w+_cmd", m)}


def test_help_imports_no_command_module_nor_rich_nor_pydantic() -> None:
    code, modules = loaded_modules("--help")
    assert code == 0
    assert command_modules(modules) == set()
    assert not {"rich", "pydantic", "httpx", "sqlite3"} & modules


def test_a_command_imports_only_its_own_module() -> None:
    code, modules = loaded_modules("status", "--help")
    assert code == 0
    assert command_modules(modules) == {"uku_xero_cli.cli.status_cmd"}


def test_json_output_never_loads_the_text_renderers() -> None:
    disconnected("ghost")
    code, modules = loaded_modules("status", "-c", "ghost", "--offline", "--json")
    assert code == 3
    assert not {m for m in modules if m.startswith(("rich", "uku_xero_cli.cli.render"))}
    code, modules = loaded_modules("status", "-c", "ghost", "--offline")
    assert code == 3
    assert "uku_xero_cli.cli.render.connection" in modules


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_command_table_summary_is_the_commands_own_help(name: str) -> None:
    import typer.main

    from uku_xero_cli.cli.app import app

    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    assert COMMANDS[name].summary == first_paragraph


def test_the_command_listing_is_the_same_before_and_after_commands_are_built() -> None:
    import typer.main

    from uku_xero_cli.cli.app import app

    def listing(group: Any) -> str:
        context = group.make_context("uku-xero", ["--help"], resilient_parsing=True)
        return str(group.get_help(context))

    lazy = typer.main.get_command(app)
    before = listing(lazy)
    assert not any(lazy.commands.built(name) for name in COMMANDS)  # type: ignore[attr-defined]
    dict(lazy.commands.items())  # type: ignore[attr-defined]
    assert listing(lazy) == before
    assert "push-invoice  Send Uku invoices to Xero: validated first, never twice." in before
