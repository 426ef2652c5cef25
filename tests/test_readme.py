"""The README is the user manual: these fail when it drifts from the code.

Commands, options, environment variables, the emulator's admin API and flags, and the default
redirect port are read from the code and looked up in README.md, and the other way round where
a stale entry would mislead (documented variables and admin endpoints that no longer exist).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.conftest import small_config
from uku_xero_cli.cli.app import app
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.settings import DEFAULT_REDIRECT_PORT, ENDPOINT_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "uku_xero_cli"

ENV_NAME = re.compile(r"\b(?:UKU_)?XERO_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
ADMIN_ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE)` \| `(/_sandbox[^`]*)` \|", re.M)


def _commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the Typer app as (path, click command), subcommands included."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        if path:
            yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


def _section(heading: str) -> str:
    """The README text under `### heading` up to the next heading of level 2 or 3."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^##)", README, re.M | re.S)
    assert match, f"README has no '### {heading}' section"
    return match.group(1)


def _code_blocks() -> str:
    return "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", README, re.M | re.S))


COMMANDS = list(_commands())


def test_the_app_has_the_commands_the_manual_is_about() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"auth", "reload", "push-invoice", "sandbox", "demo", "clients import"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_a_section_and_an_example(path: tuple[str, ...]) -> None:
    section = _section(path[0])
    example = "uku-xero " + " ".join(path)
    examples = [line for line in _code_blocks().splitlines() if example in line]
    assert examples, f"README shows no example of `{example}` in a code block"
    assert example in section, f"the '### {path[0]}' section never shows `{example}`"


@pytest.mark.parametrize(
    "path",
    [p for p, c in COMMANDS if any("--json" in getattr(o, "opts", ()) for o in c.params)],
    ids=" ".join,
)
def test_every_json_command_documents_its_json_form(path: tuple[str, ...]) -> None:
    section = _section(path[0])
    shown = re.search(rf"uku-xero {re.escape(' '.join(path))}\b[^\n]*--json", section)
    described = re.search(rf"`{re.escape(' '.join(path))} --json`", section)
    if len(path) == 1:
        described = described or re.search(r"`--json`\s*(?:prints|:)", section)
    assert shown or described, (
        f"'### {path[0]}' neither shows nor describes `{' '.join(path)} --json`"
    )


def test_every_option_of_every_command_is_in_the_manual() -> None:
    missing = []
    for path, command in [((), typer.main.get_command(app)), *COMMANDS]:
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and not re.search(
                    re.escape(option) + r"(?![\w-])", README
                ):
                    missing.append(f"uku-xero {' '.join(path)} {option}".replace("  ", " "))
    assert not missing, f"options not in README: {missing}"


def _package_env_names() -> set[str]:
    names = {f"UKU_XERO_{key.upper()}" for key in ENDPOINT_DEFAULTS}
    for source in PACKAGE.rglob("*.py"):
        names.update(ENV_NAME.findall(source.read_text(encoding="utf-8")))
    return names


def test_every_environment_variable_of_the_code_is_documented() -> None:
    names = _package_env_names()
    assert {"XERO_CLIENT_ID", "UKU_XERO_CONFIG_DIR", "UKU_XERO_API_URL"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"environment variables missing from README: {missing}"


def test_the_manual_documents_no_variable_the_code_does_not_read() -> None:
    unknown = sorted(set(ENV_NAME.findall(README)) - _package_env_names())
    assert not unknown, f"README documents variables the code does not know: {unknown}"


def _admin_routes() -> set[tuple[str, str]]:
    tiny = {"contacts": 2, "items": 1, "invoices": 2, "bank_transactions": 1}
    sandbox = Sandbox(small_config(strict=False, orgs=1, credit_notes=1, manual_journals=1, **tiny))
    found = set()
    for route in sandbox.router.routes:
        if route.kind != "admin":
            continue
        # The router keeps a regex; turn it back into the template the README shows.
        path = route.pattern.pattern.removeprefix("^").removesuffix("/?$")
        path = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", path)
        found.add((route.method, path))
    return found


def test_every_admin_endpoint_is_in_the_admin_api_table() -> None:
    routes = _admin_routes()
    assert ("POST", "/_sandbox/rate-limit/force") in routes
    documented = set(ADMIN_ROW.findall(README))
    missing = sorted(routes - documented)
    assert not missing, f"admin endpoints missing from README's admin API table: {missing}"
    stale = sorted(documented - routes)
    assert not stale, f"README's admin API table lists endpoints that do not exist: {stale}"


def _sandbox_flag_rows() -> dict[str, str]:
    table = _section("Flags")
    return dict(re.findall(r"^\| `(--[\w-]+)[^|]*\| ([^|]+) \|", table, re.M))


def test_every_sandbox_flag_is_in_the_flags_table_with_its_default() -> None:
    command = dict(COMMANDS)[("sandbox",)]
    rows = _sandbox_flag_rows()
    for param in command.params:
        option = next((o for o in param.opts if o.startswith("--")), None)
        if option is None or option == "--help":
            continue
        assert option in rows, f"sandbox {option} missing from the emulator's Flags table"
        shown = rows[option].strip()
        if isinstance(param.default, bool):
            assert shown == ("on" if param.default else "off"), (option, shown)
        elif param.default:
            default = getattr(param.default, "value", param.default)
            if isinstance(default, list | tuple):
                continue
            assert shown == f"`{default}`", f"sandbox {option}: README says {shown}, code {default}"


def test_the_redirect_port_in_the_manual_is_the_default() -> None:
    ports = {int(p) for p in re.findall(r"localhost:(\d+)/callback", README)}
    assert ports == {DEFAULT_REDIRECT_PORT}, ports
    assert f"redirect_port = {DEFAULT_REDIRECT_PORT}" in README
    row = re.search(r"^\| `UKU_XERO_REDIRECT_PORT` \|.*\(default (\d+)\)", README, re.M)
    assert row and int(row.group(1)) == DEFAULT_REDIRECT_PORT
    assert f"ssh -L {DEFAULT_REDIRECT_PORT}:localhost:{DEFAULT_REDIRECT_PORT}" in README
