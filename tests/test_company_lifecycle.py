"""A company's lifecycle: listing what it keeps of each organisation, forgetting it, forgetting
one organisation's data, renaming it, and `status --all` after a disconnect on purpose."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, document, point_at, stored
from uku_xero_cli.cli.output import Output
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings, write_config
from uku_xero_cli.store.layout import CompanyFiles

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def every_file(isolated_dirs: dict[str, Path]) -> list[str]:
    """Every file under the config and data dirs (relative), what a person would `ls -R`."""
    found = []
    for kind, root in isolated_dirs.items():
        if root.exists():
            found += [f"{kind}/{p.relative_to(root)}" for p in root.rglob("*") if not p.is_dir()]
    return sorted(found)


def ok(result: CliResult) -> CliResult:
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def used_two_organisations(cli: Cli, sandbox: Sandbox, company: str = "acme") -> tuple[str, str]:
    """The company reloaded from its first organisation, then moved to the second one."""
    first, second = sandbox.state.default_user().tenant_ids[:2]
    connect_company(sandbox, company)
    ok(cli("reload", "-c", company, "--only", "contacts,items"))
    ok(cli("orgs", "-c", company, "--use", second))
    ok(cli("reload", "-c", company, "--only", "contacts"))
    return first, second


# -- what companies lists ---------------------------------------------------------------------


def test_companies_lists_the_data_of_organisations_not_current_with_size_and_last_reload(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    first, second = used_two_organisations(cli, sandbox)
    [row] = document(ok(cli("companies", "--json")))["companies"]
    organisations = {o["tenant_id"]: o for o in row["organisations"]}
    assert set(organisations) == {first, second}
    kept, current = organisations[first], organisations[second]
    assert (kept["current"], current["current"]) == (False, True)
    assert kept["tenant_name"] == sandbox.state.orgs[first].name
    assert kept["size_bytes"] == Path(kept["store"]).stat().st_size > 0
    assert kept["last_reload"] is not None
    human = " ".join(ok(cli("companies")).stdout.replace("│", " ").split())
    assert "Data of organisations not current" in human
    assert f"acme {sandbox.state.orgs[first].name} {first}" in human
    assert "companies remove NAME --org TENANT" in human


# -- companies remove --------------------------------------------------------------------------


def test_remove_leaves_no_file_of_the_company_behind(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, isolated_dirs: dict[str, Path], tmp_path: Path
) -> None:
    used_two_organisations(cli, sandbox, "acme")
    connect_company(sandbox, "beta")
    ok(cli("reload", "-c", "beta", "--only", "items"))
    csv = tmp_path / "clients.csv"
    csv.write_text("id,name,email,registration_number,vat_number\nU-1,Acme,,,\n")
    ok(cli("clients", "import", "-c", "acme", str(csv)))
    ok(cli("disconnect", "-c", "acme", "--yes"))
    before = every_file(isolated_dirs)
    acme = [f for f in before if "/acme" in f]
    assert {"config/companies/acme.toml", "config/companies/acme.lock"} <= set(acme)
    assert "data/companies/acme/company.sqlite" in acme
    assert "data/companies/acme/reload.lock" in acme

    result = ok(cli("companies", "remove", "acme", "--yes", "--json"))
    assert sorted(document(result)["removed"]) == sorted(
        str(isolated_dirs[f.split("/", 1)[0]] / f.split("/", 1)[1]) for f in acme
    )
    after = every_file(isolated_dirs)
    assert after == [f for f in before if f not in acme]
    assert not (isolated_dirs["data"] / "companies" / "acme").exists()
    assert [c["company"] for c in document(cli("companies", "--json"))["companies"]] == ["beta"]
    assert cli("status", "-c", "beta").exit_code == 0


def test_remove_refuses_a_connected_company_with_the_command_that_disconnects_it(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, isolated_dirs: dict[str, Path]
) -> None:
    connect_company(sandbox)
    before = every_file(isolated_dirs)
    result = cli("companies", "remove", "acme", "--yes")
    assert result.exit_code == 2
    assert "company 'acme' is connected to Xero: disconnect it first" in result.stderr
    assert "uku-xero disconnect -c acme" in result.stderr
    assert every_file(isolated_dirs) == before


def test_remove_asks_before_deleting_data_and_needs_yes_off_a_terminal(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    isolated_dirs: dict[str, Path],
) -> None:
    connect_company(sandbox)
    ok(cli("reload", "-c", "acme", "--only", "items"))
    ok(cli("disconnect", "-c", "acme", "--yes"))
    before = every_file(isolated_dirs)
    refused = cli("companies", "remove", "acme")
    assert refused.exit_code == 2 and "pass --yes" in refused.stderr
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    declined = cli("companies", "remove", "acme")
    assert declined.exit_code == 1
    assert "Delete company 'acme' and all its Uku-side data (2 store(s))?" in declined.stderr
    assert every_file(isolated_dirs) == before
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    ok(cli("companies", "remove", "acme"))
    assert not [f for f in every_file(isolated_dirs) if "acme" in f]


def test_remove_of_an_unknown_company_is_exit_3_and_creates_nothing(
    cli: Cli, isolated_dirs: dict[str, Path]
) -> None:
    result = cli("companies", "remove", "nobody", "--yes")
    assert result.exit_code == 3 and "no company 'nobody'" in result.stderr
    assert every_file(isolated_dirs) == []


def test_remove_org_deletes_only_that_organisations_data(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, isolated_dirs: dict[str, Path]
) -> None:
    first, second = used_two_organisations(cli, sandbox)
    files = CompanyFiles(load_settings(), "acme")
    name = sandbox.state.orgs[first].name
    result = ok(cli("companies", "remove", "acme", "--org", name, "--yes", "--json"))
    data = document(result)
    assert data["organisation"]["tenant_id"] == first
    assert data["removed"] == [str(files.organisation_store(first))]
    assert set(files.organisation_stores()) == {second}
    assert ok(cli("status", "-c", "acme")).exit_code == 0
    ok(cli("reload", "-c", "acme", "--only", "contacts"))


def test_remove_org_refuses_the_organisation_a_connected_company_works_with(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, isolated_dirs: dict[str, Path]
) -> None:
    _first, second = used_two_organisations(cli, sandbox)
    before = every_file(isolated_dirs)
    result = cli("companies", "remove", "acme", "--org", second, "--yes")
    assert result.exit_code == 2 and "works with" in result.stderr
    assert "uku-xero orgs -c acme --use OTHER" in result.stderr
    unknown = cli("companies", "remove", "acme", "--org", "Nope Ltd", "--yes")
    assert unknown.exit_code == 2 and second in unknown.stderr  # lists what there is
    assert every_file(isolated_dirs) == before


# -- companies rename --------------------------------------------------------------------------


def test_rename_moves_tokens_stores_and_locks_and_the_company_keeps_working(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, isolated_dirs: dict[str, Path]
) -> None:
    connect_company(sandbox)
    ok(cli("reload", "-c", "acme", "--only", "items"))
    before = every_file(isolated_dirs)
    result = ok(cli("companies", "rename", "acme", "acme-ltd", "--json"))
    assert document(result)["new"] == "acme-ltd"
    after = every_file(isolated_dirs)
    # Everything moved (the refresh lock of the old name is gone; waiting for jobs to finish
    # may have left a lock file of the new name, as any job does).
    renamed = [f.replace("acme", "acme-ltd") for f in before if not f.endswith("acme.lock")]
    assert set(renamed) <= set(after)
    assert all(f.endswith(".lock") for f in set(after) - set(renamed))
    assert not [f for f in after if "/acme/" in f or f.endswith("/acme.toml")]
    assert stored("acme-ltd").company == "acme-ltd"
    assert ok(cli("status", "-c", "acme-ltd", "--json"))
    reload = document(ok(cli("reload", "-c", "acme-ltd", "--only", "items", "--json")))
    assert reload["data_sets"][0]["unchanged"] > 0  # its data came along
    assert cli("status", "-c", "acme").exit_code == 3


def test_rename_refuses_a_name_in_use_and_says_when_config_names_the_old_one(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, isolated_dirs: dict[str, Path]
) -> None:
    connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    before = every_file(isolated_dirs)
    taken = cli("companies", "rename", "acme", "beta")
    assert taken.exit_code == 2 and "company 'beta' exists already" in taken.stderr
    assert every_file(isolated_dirs) == before
    write_config(isolated_dirs["config"], {"default_company": "acme"})
    renamed = ok(cli("companies", "rename", "acme", "gamma"))
    assert "config.toml still names 'acme' as default_company" in renamed.stderr


# -- status --all after a disconnect ---------------------------------------------------------------


def test_a_company_disconnected_on_purpose_is_reported_and_fails_status_all_only_when_strict(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    ok(cli("disconnect", "-c", "beta", "--yes"))
    every = cli("status", "--all", "--json")
    assert every.exit_code == 0, every.stderr
    data = document(every)
    assert "error" not in data
    beta = next(c for c in data["companies"] if c["company"] == "beta")
    assert beta["state"] == "not_connected" and beta["disconnected_at"] is not None
    assert "disconnected on purpose" in beta["reason"] and "error" not in beta
    text = cli("status", "--all")
    assert text.exit_code == 0 and "error:" not in text.stderr
    assert "disconnected on purpose" in " ".join(text.stdout.split())
    strict = cli("status", "--all", "--strict", "--json")
    assert strict.exit_code == 3 and "beta" in document(strict)["error"]["message"]
    assert cli("status", "-c", "beta").exit_code == 3  # one company: still not connected
    assert cli("status", "-c", "acme", "--strict").exit_code == 2  # --strict goes with --all
