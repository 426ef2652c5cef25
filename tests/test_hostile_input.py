"""Hostile and broken input (issue 13), case by case: a bad setting, file, company name or
token file is refused up front with exit 2 and one line naming it and what is allowed, and
nothing is written. The property-based versions are in test_fuzz_inputs.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.hostile import assert_refused_cleanly, run, snapshot
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store.layout import CompanyFiles
from uku_xero_cli.tokens import CompanyTokens, TokenStore

HEADER = "id,name,email,registration_number,vat_number"


@pytest.fixture
def dirs(isolated_dirs: dict[str, Path]) -> list[Path]:
    """The config and data dirs, with one company that exists but is not connected."""
    TokenStore(load_settings()).save(CompanyTokens(company="acme").cleared())
    return [isolated_dirs["config"], isolated_dirs["data"]]


def config(isolated_dirs: dict[str, Path], text: str | bytes) -> None:
    path = isolated_dirs["config"] / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)


# -- settings: the environment and config.toml ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("UKU_XERO_MAX_PER_MINUTE", "9" * 30, "from 1 to 1,000,000"),
        ("UKU_XERO_MAX_CONCURRENT", "٣", "from 1 to 1,000,000"),
        ("UKU_XERO_APP_MAX_PER_MINUTE", "1e3", "from 1 to 1,000,000"),
        ("UKU_XERO_REDIRECT_PORT", "8763.7", "from 1 to 65,535"),
        ("UKU_XERO_REDIRECT_PORT", "0", "from 1 to 65,535"),
        ("UKU_XERO_API_URL", "http://[::1/x", "http:// or https:// URL"),
        ("UKU_XERO_TOKEN_URL", "file:///etc/passwd", "http:// or https:// URL"),
        ("UKU_XERO_CONNECTIONS_URL", "https://", "http:// or https:// URL"),
        ("UKU_XERO_AUTHORIZE_URL", "http://host:99999/x", "http:// or https:// URL"),
        ("UKU_XERO_REVOKE_URL", "https://exa mple.com/", "http:// or https:// URL"),
        ("UKU_XERO_DATA_DIR", "/dev/null", "directory"),
        ("UKU_XERO_DATA_DIR", "/dev/null/below", "directory"),
        ("UKU_XERO_CONFIG_DIR", "/dev/zero", "directory"),
        ("XERO_CLIENT_SECRET", "sécret", "printable ASCII"),
        ("XERO_CLIENT_ID", "id with spaces", "printable ASCII"),
        ("UKU_XERO_SCOPES", 'offline_access "quoted"', "OAuth scope"),
        ("UKU_XERO_COMPANY", "acme\n", "letters, digits"),
    ],
)
def test_a_bad_environment_value_is_exit_2_naming_it(
    dirs: list[Path], name: str, value: str, allowed: str
) -> None:
    before = snapshot(*dirs)
    ran = run("status", "--offline", env={name: value})
    assert_refused_cleanly(ran, before, snapshot(*dirs), name, allowed)


def test_a_secret_that_is_refused_is_never_shown(dirs: list[Path]) -> None:
    ran = run("status", "--offline", env={"XERO_CLIENT_SECRET": "sécret-value"})
    assert ran.code == 2 and "sécret" not in ran.stderr + ran.stdout


@pytest.mark.parametrize(
    ("text", "named", "allowed"),
    [
        ("redirect_port = true", "redirect_port", "from 1 to 65,535"),
        ("redirect_port = 8763.7", "redirect_port", "from 1 to 65,535"),
        ("redirect_port = 70000", "redirect_port", "from 1 to 65,535"),
        ('redirect_port = "eighty"', "redirect_port", "from 1 to 65,535"),
        ("[limits]\nper_minute = 1e300", "limits.per_minute", "from 1 to 1,000,000"),
        ('[endpoints]\napi_url = "ftp://x"', "endpoints.api_url", "http:// or https://"),
        ('default_company = "acme\\n"', "default_company", "letters, digits"),
        ("client_id = 17", "client_id", "expected text"),
        ("client_id = [unclosed", "config.toml", "not valid TOML"),
    ],
)
def test_a_bad_config_toml_value_is_exit_2_naming_the_key(
    dirs: list[Path], isolated_dirs: dict[str, Path], text: str, named: str, allowed: str
) -> None:
    config(isolated_dirs, text)
    before = snapshot(*dirs)
    # XERO_CLIENT_ID (set for every test) would win over client_id in the file.
    ran = run("status", "--offline", unset=("XERO_CLIENT_ID",))
    assert_refused_cleanly(ran, before, snapshot(*dirs), "config.toml", named, allowed)


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe\x00c\x00l\x00i", "client_id = 'é'".encode("latin-1")],
    ids=["utf16", "latin1"],
)
def test_a_config_toml_that_is_not_utf8_is_exit_2_naming_the_file(
    dirs: list[Path], isolated_dirs: dict[str, Path], data: bytes
) -> None:
    config(isolated_dirs, data)
    before = snapshot(*dirs)
    ran = run("status", "--offline")
    assert_refused_cleanly(ran, before, snapshot(*dirs), "config.toml", "not UTF-8")


def test_a_config_toml_that_is_a_device_or_a_directory_is_refused_unread(
    dirs: list[Path], isolated_dirs: dict[str, Path]
) -> None:
    (isolated_dirs["config"] / "config.toml").symlink_to("/dev/zero")
    ran = run("status", "--offline")
    assert ran.code == 2 and "a character device, not a file" in ran.stderr
    (isolated_dirs["config"] / "config.toml").unlink()
    (isolated_dirs["config"] / "config.toml").mkdir()
    assert "config.toml: cannot be read (Is a directory)" in run("status", "--offline").stderr


# -- company names ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["acme\n", "acme\r", " acme", "ac/me", "..", "a" * 65, "ａｃｍｅ"])
def test_a_company_name_is_matched_whole_not_up_to_a_trailing_newline(
    dirs: list[Path], name: str
) -> None:
    for command in (["auth"], ["clients", "import", "x.csv"], ["status"]):
        before = snapshot(*dirs)
        ran = run(*command, "-c", name)
        assert_refused_cleanly(ran, before, snapshot(*dirs), "--company", "invalid company name")


def test_an_unknown_company_gets_the_closest_names_and_no_file(dirs: list[Path]) -> None:
    TokenStore(load_settings()).save(CompanyTokens(company="beta").cleared())
    before = snapshot(*dirs)
    for command in (["status"], ["reload"], ["check-paid"], ["orgs"], ["stats"]):
        ran = run(*command, "-c", "acm")
        assert ran.code == 3
        assert ran.error_lines == ["error: no company 'acm'; did you mean 'acme'?"]
        assert "uku-xero auth -c acm" in ran.stderr
    assert run("status", "-c", "ACME").error_lines == [
        "error: no company 'ACME'; did you mean 'acme'?"
    ]
    assert run("status", "-c", "zzz").error_lines == ["error: no company 'zzz'"]
    assert snapshot(*dirs) == before


def test_several_companies_and_no_default_name_them_instead_of_using_default(
    dirs: list[Path], isolated_dirs: dict[str, Path]
) -> None:
    TokenStore(load_settings()).save(CompanyTokens(company="beta").cleared())
    before = snapshot(*dirs)
    for command in (["status"], ["reload"], ["auth"], ["clients"]):
        ran = run(*command, unset=("UKU_XERO_COMPANY",))
        assert_refused_cleanly(ran, before, snapshot(*dirs), "acme, beta")
        assert "pass -c NAME, or set default_company" in ran.stderr
    # --all needs no company (both were disconnected on purpose: no failure unless --strict);
    # a default settles it.
    assert run("status", "--all", "--offline").code == 0
    assert run("status", "--all", "--offline", "--strict").code == 3
    assert "company 'beta'" in run("status", "--offline", env={"UKU_XERO_COMPANY": "beta"}).stderr
    config(isolated_dirs, 'default_company = "acme"')
    assert "company 'acme'" in run("status", "--offline").stderr


def test_with_one_company_not_named_default_a_bare_command_names_it(dirs: list[Path]) -> None:
    ran = run("status", "--offline")
    assert ran.code == 2
    assert ran.error_lines == [
        "error: no company given and no default: one company configured (acme)"
    ]


def test_auth_may_name_a_new_company_and_clients_import_creates_one(
    dirs: list[Path], tmp_path: Path
) -> None:
    (tmp_path / "c.csv").write_text(f"{HEADER}\nC-1,A Ltd,,,\n", encoding="utf-8")
    ran = run("clients", "import", "-c", "acm", str(tmp_path / "c.csv"))
    assert ran.code == 0
    assert "Company 'acm' is new: this import created it; did you mean 'acme'?" in ran.stderr
    assert CompanyFiles(load_settings(), "acm").company_store.exists()


# -- files: clients CSV, invoice files ------------------------------------------------------


def test_clients_import_of_a_device_or_a_directory_is_refused_unread(
    dirs: list[Path], tmp_path: Path
) -> None:
    before = snapshot(*dirs)
    ran = run("clients", "import", "-c", "acme", "/dev/zero")
    assert_refused_cleanly(ran, before, snapshot(*dirs), "/dev/zero", "character device")
    ran = run("clients", "import", "-c", "acme", str(tmp_path))  # Typer refuses it first
    assert ran.code == 2 and "is a directory" in ran.stderr
    assert snapshot(*dirs) == before


def test_a_clients_csv_larger_than_the_cap_is_refused(
    dirs: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.sync import clients_csv

    monkeypatch.setattr(clients_csv, "MAX_FILE_BYTES", 100)
    (tmp_path / "big.csv").write_text(HEADER + "\n" + "C-1,A,,,\n" * 20, encoding="utf-8")
    before = snapshot(*dirs)
    ran = run("clients", "import", "-c", "acme", str(tmp_path / "big.csv"))
    assert_refused_cleanly(ran, before, snapshot(*dirs), "big.csv", "larger than 100 bytes")


@pytest.mark.parametrize("cell", ["Acme\x00Ltd", "Acme\x1bLtd", "\x7f"])
def test_a_control_character_in_a_csv_field_is_refused_by_line(
    dirs: list[Path], tmp_path: Path, cell: str
) -> None:
    (tmp_path / "c.csv").write_text(f"{HEADER}\nC-1,{cell},,,\n", encoding="utf-8")
    before = snapshot(*dirs)
    ran = run("clients", "import", "-c", "acme", str(tmp_path / "c.csv"))
    assert ran.code == 2 and "line 2: name holds the control character U+" in ran.stderr
    assert snapshot(*dirs) == before


def test_an_api_body_that_is_a_device_is_refused_unread(dirs: list[Path]) -> None:
    before = snapshot(*dirs)
    ran = run("api", "-c", "acme", "-X", "PUT", "Contacts", "--input", "/dev/zero", "--yes")
    assert ran.code == 2
    assert ran.error_lines == [
        "error: --input /dev/zero: a character device, not a file; nothing was sent"
    ]
    assert snapshot(*dirs) == before


def test_an_api_body_with_a_number_out_of_range_is_refused_and_not_sent(
    dirs: list[Path], tmp_path: Path
) -> None:
    (tmp_path / "body.json").write_text('{"Contacts": [{"Balance": 1e-999999999}]}')
    before = snapshot(*dirs)
    ran = run(
        "api",
        "-c",
        "acme",
        "-X",
        "PUT",
        "Contacts",
        "--input",
        str(tmp_path / "body.json"),
        "--yes",
    )
    assert ran.code == 2 and "1e-999999999 is out of range" in ran.stderr
    assert "nothing was sent" in ran.stderr
    assert snapshot(*dirs) == before


def test_an_invoice_file_that_is_a_device_is_refused_unread(dirs: list[Path]) -> None:
    before = snapshot(*dirs)
    ran = run("push-invoice", "-c", "acme", "/dev/zero")
    assert ran.code == 2 and "/dev/zero: a character device, not a file" in ran.stderr
    assert snapshot(*dirs) == before


# -- token files ----------------------------------------------------------------------------


def _token_file(company: str = "acme") -> Path:
    return load_settings().token_file(company)


def test_a_token_path_that_is_a_directory_is_exit_2_naming_it(dirs: list[Path]) -> None:
    _token_file().unlink()
    _token_file().mkdir()
    before = snapshot(*dirs)
    for command in (["status", "--offline"], ["reload"], ["disconnect", "--yes"]):
        ran = run(*command, "-c", "acme")
        assert_refused_cleanly(ran, before, snapshot(*dirs), str(_token_file()), "a directory")


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ('[tenant]\nid = "t-1"\n[token]\naccess_token = "a"\n', "no refresh token"),
        ('[token]\nrefresh_token = "r"\n', "no organisation (tenant id)"),
        (
            '[tenant]\nid = "t-1"\n[token]\nrefresh_token = "r"\n[state]\nneeds_reauth = "yes"\n',
            "state.needs_reauth is not true or false",
        ),
    ],
)
def test_an_inconsistent_token_file_is_damaged_exit_4_naming_it(
    dirs: list[Path], state: str, why: str
) -> None:
    _token_file().write_text('format = 1\ncompany = "acme"\n' + state, encoding="utf-8")
    ran = run("status", "-c", "acme", "--offline")
    assert ran.code == 4
    assert ran.error_lines == [
        f"error: the token file of company 'acme' ({_token_file()}) is damaged: {why}"
    ]
    assert "None" not in ran.stderr


def test_a_token_write_removes_the_stale_temporary_files_of_its_company(dirs: list[Path]) -> None:
    folder = _token_file().parent
    stale = folder / ".acme.toml.k3j9x_2q.tmp"
    stale.write_text('[token]\nrefresh_token = "leaked"\n', encoding="utf-8")
    fresh = folder / ".acme.toml.abcdefgh.tmp"  # a write in progress in another process
    fresh.write_text("", encoding="utf-8")
    other = folder / ".acme.toml.x.toml.abcdefgh.tmp"  # company 'acme.toml.x'
    other.write_text("", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    TokenStore(load_settings()).save(CompanyTokens(company="acme").cleared())
    assert not stale.exists()
    assert fresh.exists() and other.exists()
