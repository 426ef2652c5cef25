"""`main(argv, surroundings)`: a run with its own environment, working directory and streams
reads and writes those, and leaves the process's own alone."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from uku_xero_cli.cli.app import main
from uku_xero_cli.cli.surroundings import Surroundings
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore


def _known_company(around: Surroundings, company: str = "default") -> None:
    """Make `company` exist in the run's config (a token file without a connection)."""
    TokenStore(load_settings(around.environ)).save(CompanyTokens(company=company).cleared())


CLIENTS = "id,name,email,registration_number,vat_number\nC-1,Acme Ltd,ap@acme.example,,\n"


def _surroundings(folder: Path, **environ: str) -> Surroundings:
    return Surroundings(
        environ={
            "UKU_XERO_CONFIG_DIR": str(folder / "config"),
            "UKU_XERO_DATA_DIR": str(folder / "data"),
            "COLUMNS": "200",
            **environ,
        },
        cwd=folder,
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_a_run_uses_its_own_environment_directory_and_streams(
    tmp_path: Path, isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    environment, cwd = dict(os.environ), os.getcwd()
    around = _surroundings(folder, UKU_XERO_COMPANY="acme")

    assert main(["clients", "import", "clients.csv"], around) == 0
    assert main(["clients", "--json"], around) == 0

    assert "Imported 1 clients from clients.csv into company 'acme'" in around.stderr.getvalue()
    listing = json.loads(around.stdout.getvalue())
    assert listing["company"] == "acme"
    assert [c["id"] for c in listing["clients"]] == ["C-1"]
    assert (folder / "data" / "companies" / "acme" / "company.sqlite").exists()
    # The process's own settings, directory and streams were never used.
    assert not isolated_dirs["data"].exists()
    assert capsys.readouterr() == ("", "")
    assert dict(os.environ) == environment
    assert os.getcwd() == cwd


def test_invoice_files_are_read_from_the_runs_directory_and_named_as_given(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "uku"
    (folder / "invoices").mkdir(parents=True)
    (folder / "invoices" / "bad.json").write_text('{"number": "X-1"}', encoding="utf-8")
    read, missing = _surroundings(folder), _surroundings(folder)
    _known_company(read)

    assert main(["push-invoice", "invoices/bad.json"], read) == 2
    assert main(["push-invoice", "invoices/absent.json"], missing) == 2

    assert "invoices/bad.json: currency: required" in read.stderr.getvalue()
    assert "invoices/absent.json: cannot read" in missing.stderr.getvalue()
    assert str(folder) not in read.stderr.getvalue() + missing.stderr.getvalue()


def test_standard_input_is_the_runs(tmp_path: Path) -> None:
    piped = replace(_surroundings(tmp_path), stdin=io.StringIO('{"number": "X-1"}'))
    _known_company(piped)

    assert main(["push-invoice", "-"], piped) == 2

    assert "<stdin>: currency: required" in piped.stderr.getvalue()


def test_usage_errors_go_to_the_runs_streams(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    around = _surroundings(tmp_path)

    assert main(["clients", "--no-such-flag", "--json"], around) == 2

    assert json.loads(around.stdout.getvalue())["error"]["code"] == "usage"
    assert "--no-such-flag" in around.stderr.getvalue()
    assert capsys.readouterr() == ("", "")
