"""`uku-xero clients` and `clients import FILE.csv`: the list, its Integration column, bad CSVs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer

Cli = Callable[..., CliResult]
HEADER = "id,name,email,registration_number,vat_number"


def write(tmp_path: Path, text: str, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def listed(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli("clients", "-c", "acme", "--json", *args)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert isinstance(data, dict)
    return list(data["clients"])


def test_a_bad_csv_is_rejected_whole_with_every_bad_line(cli: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\nC-1,Acme Ltd,ap@acme.example,123,\n,No Id Ltd,,,\nC-1,Twice Ltd,,,\n"
        "C-4,Bad Mail,not-an-email,,\n",
    )
    result = cli("clients", "import", "-c", "acme", str(path))
    assert result.exit_code == 2
    assert "nothing was imported" in result.stderr
    for line in ("line 3", "line 4", "line 5"):
        assert line in result.stderr
    # Nothing was stored: not even an empty store for the company.
    after = cli("clients", "-c", "acme")
    assert after.exit_code == 3 and "no company 'acme'" in after.stderr


def test_a_bad_csv_in_json_mode_lists_the_problems(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\nC-1,Acme\n")
    result = cli("clients", "import", "-c", "acme", str(path), "--json")
    assert result.exit_code == 2
    error = result.json()["error"]  # type: ignore[index]
    assert error["code"] == "invalid_input"
    assert any("email" in problem for problem in error["problems"])


def test_a_missing_file_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = cli("clients", "import", "-c", "acme", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr


def test_import_then_list_shows_the_clients_without_links(cli: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path, f"{HEADER},segment\nC-1,Acme Ltd,ap@acme.example,123,GB1,gold\nC-2,Beta OÜ,,,,\n"
    )
    imported = cli("clients", "import", "-c", "acme", str(path))
    assert imported.exit_code == 0, imported.stderr
    assert "Imported 2 clients" in imported.stderr and "2 new" in imported.stderr
    clients = listed(cli)
    assert [(c["id"], c["name"], c["integration"]) for c in clients] == [
        ("C-1", "Acme Ltd", None),
        ("C-2", "Beta OÜ", None),
    ]
    assert clients[0]["extra"] == {"segment": "gold"}
    again = cli("clients", "import", "-c", "acme", str(path), "--json")
    assert again.json()["unchanged"] == 2  # type: ignore[index]


def test_after_a_reload_the_integration_column_shows_each_link(
    cli: Cli,
    tmp_path: Path,
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point_at(sandbox_server, monkeypatch)
    connect_company(sandbox)
    org = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]]
    contact = next(
        c
        for c in org.data.contacts.values()
        if c["ContactStatus"] == "ACTIVE" and c.get("CompanyNumber")
    )
    path = write(
        tmp_path,
        f"{HEADER}\nU-1,Renamed In Uku,,{contact['CompanyNumber']},\nU-2,Nobody In Xero,,,\n",
    )
    assert cli("clients", "import", "-c", "acme", str(path)).exit_code == 0
    assert cli("reload", "-c", "acme", "--only", "contacts").exit_code == 0

    clients = {c["id"]: c for c in listed(cli)}
    link = clients["U-1"]["integration"]
    assert link["contact_id"] == contact["ContactID"]
    assert link["match_method"] == "registration_number"
    assert clients["U-2"]["integration"] is None
    assert [c["id"] for c in listed(cli, "--unmatched")] == ["U-2"]

    monkeypatch.setenv("COLUMNS", "300")  # one line per client
    table = cli("clients", "-c", "acme")
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if "U-1" in line)
    assert f"{contact['Name']} (registration number)" in row
    assert "Integration" in table.stdout


def test_clients_of_an_unknown_company_exits_3_and_creates_no_store(
    cli: Cli, isolated_dirs: dict[str, Path]
) -> None:
    result = cli("clients", "-c", "typo", "--json")
    assert result.exit_code == 3
    error = result.json()["error"]  # type: ignore[index]
    assert error["code"] == "unknown_company"
    assert not (isolated_dirs["data"] / "companies" / "typo.sqlite").exists()
    assert cli("companies", "--json").json() == {"companies": []}


def test_clients_of_a_connected_company_before_any_reload_is_an_empty_list(
    cli: Cli, sandbox: Sandbox, isolated_dirs: dict[str, Path]
) -> None:
    connect_company(sandbox)
    assert listed(cli) == []
    shown = cli("clients", "-c", "acme")
    assert shown.exit_code == 0
    assert "No clients yet" in shown.stderr
    assert not (isolated_dirs["data"] / "companies").exists()


def test_import_quiet_prints_nothing_even_when_contacts_match(
    cli: Cli,
    tmp_path: Path,
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    point_at(sandbox_server, monkeypatch)
    connect_company(sandbox)
    assert cli("reload", "-c", "acme", "--only", "contacts").exit_code == 0
    org = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[0]]
    contact, other = [
        c
        for c in org.data.contacts.values()
        if c["ContactStatus"] == "ACTIVE" and c.get("CompanyNumber")
    ][:2]
    path = write(tmp_path, f"{HEADER}\nU-1,Uku Name,,{contact['CompanyNumber']},\n")

    quiet = cli("clients", "import", "-c", "acme", str(path), "--quiet")
    assert quiet.exit_code == 0, quiet.stderr
    assert (quiet.stdout, quiet.stderr) == ("", "")
    clients = {c["id"]: c for c in listed(cli)}
    assert clients["U-1"]["integration"]["contact_id"] == contact["ContactID"]

    (tmp_path / "again.csv").write_text(
        f"{HEADER}\nU-2,Other Name,,{other['CompanyNumber']},\n", encoding="utf-8"
    )
    loud = cli("clients", "import", "-c", "acme", str(tmp_path / "again.csv"))
    assert loud.exit_code == 0
    assert loud.stdout.strip() != ""  # the matching table, without --quiet
