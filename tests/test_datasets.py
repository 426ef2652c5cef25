"""The data-set registry is the one list: --only, the reload summary, status features, the
completions and reload itself all follow it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at
from tests.test_reload_cli import document
from uku_xero_cli.errors import UsageError
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import DEFAULT_SCOPES, load_settings
from uku_xero_cli.store import open_company_store
from uku_xero_cli.sync.datasets import BY_NAME, NAMES, REGISTRY, parse_only
from uku_xero_cli.sync.reload.loaders import LOADERS
from uku_xero_cli.xero.scopes import effective_scopes

Cli = Callable[..., CliResult]
COMPLETIONS = Path(__file__).parent.parent / "completions"


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


@pytest.mark.parametrize("data_set", REGISTRY, ids=NAMES)
def test_only_takes_every_name_and_alias_in_any_spelling(data_set: Any) -> None:
    for name in (data_set.name, *data_set.aliases):
        for spelling in (name, name.upper(), name.replace("_", "-"), f" {name} "):
            assert parse_only(spelling) == (data_set.name,)


def test_only_gives_the_data_sets_in_reload_order_once_each() -> None:
    assert parse_only(",".join(reversed(NAMES)) + "," + NAMES[0]) == NAMES


def test_an_unknown_data_set_is_refused_with_exit_2_naming_every_data_set(cli: Cli) -> None:
    result = cli("reload", "-c", "acme", "--only", "contacts,widgets")
    assert result.exit_code == 2
    assert "unknown data set 'widgets'" in result.stderr
    assert f"choose from {', '.join(NAMES)}" in result.stderr
    with pytest.raises(UsageError, match="name at least one"):
        parse_only(" , ")


def test_reload_help_lists_every_data_set(cli: Cli) -> None:
    shown = " ".join(cli("reload", "--help").stdout.split())
    for name in NAMES:
        assert name in shown


def test_a_reload_runs_every_data_set_in_registry_order_with_its_label(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("reload", "-c", "acme", "--json")
    assert result.exit_code == 0, result.stderr
    assert [d["data_set"] for d in document(result)["data_sets"]] == list(NAMES)
    shown = cli("reload", "-c", "acme")
    for data_set in REGISTRY:
        assert data_set.label in shown.stdout


def test_every_data_set_has_a_loader_and_a_scope_the_default_scopes_grant() -> None:
    granted = effective_scopes(DEFAULT_SCOPES.split())
    for data_set in REGISTRY:
        assert data_set.loader in LOADERS
        assert data_set.scope.endswith(".read") and data_set.scope in granted


def test_status_checks_each_data_set_feature_against_its_data_sets_scopes(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, scopes="offline_access accounting.invoices")
    features = {
        f["feature"]: f for f in document(cli("status", "-c", "acme", "--json"))["features"]
    }
    have = effective_scopes(["accounting.invoices"])
    for data_set in REGISTRY:
        feature = features[data_set.feature]
        assert (data_set.scope in feature["missing_scopes"]) is (data_set.scope not in have)
        assert feature["ok"] is (not feature["missing_scopes"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_the_data_sets_after_only() -> None:
    script = COMPLETIONS / "uku-xero.bash"
    program = (
        f"source {script}; COMP_WORDS=(uku-xero reload -c acme --only ''); COMP_CWORD=5; "
        '_uku_xero; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.split() == list(NAMES)


def test_every_completion_script_offers_the_data_sets_for_only() -> None:
    for name in ("uku-xero.bash", "_uku-xero", "uku-xero.fish"):
        assert " ".join(NAMES) in (COMPLETIONS / name).read_text(encoding="utf-8")


def test_a_reference_table_is_stored_as_its_columns_say_and_replaced_whole(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    currencies = BY_NAME["currencies"]
    assert currencies.table is not None and currencies.whole
    data = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]].data
    assert data is not None
    assert cli("reload", "-c", "acme", "--only", "currencies").exit_code == 0
    with open_company_store(load_settings(), "acme") as db:
        assert currencies.stored(db) == [
            {"code": c["Code"], "description": c["Description"]}
            for c in sorted(data.currencies.values(), key=lambda c: c["Code"])
        ]
    gone = sorted(data.currencies)[-1]
    del data.currencies[gone]
    data.changed()
    again = document(cli("reload", "-c", "acme", "--only", "currencies", "--json"))
    assert again["data_sets"][0]["requests"] == 1
    with open_company_store(load_settings(), "acme") as db:
        assert gone not in {c["code"] for c in currencies.stored(db)}


def test_a_reference_record_without_its_key_fails_the_data_set_and_keeps_the_stored_one(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    assert cli("reload", "-c", "acme", "--only", "currencies").exit_code == 0
    data = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]].data
    assert data is not None
    before = len(data.currencies)
    data.currencies["XXX"] = {"Description": "No code"}
    data.changed()
    result = cli("reload", "-c", "acme", "--only", "currencies")
    assert result.exit_code == 1
    assert "without Code" in result.stderr
    with open_company_store(load_settings(), "acme") as db:
        assert len(BY_NAME["currencies"].stored(db)) == before
