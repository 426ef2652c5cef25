"""The foundation: entry points, settings precedence, company names, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from uku_xero_cli import __version__
from uku_xero_cli.cli.exit_codes import ExitCode, exit_code_for
from uku_xero_cli.errors import (
    ConfigError,
    InvalidCompanyName,
    LockHeld,
    NetworkError,
    NotConnected,
    PartialFailure,
    RateLimited,
    ReauthorizationRequired,
    UsageError,
)
from uku_xero_cli.redact import redact, register_secret
from uku_xero_cli.settings import (
    DEFAULT_REDIRECT_PORT,
    ENDPOINT_DEFAULTS,
    load_settings,
    resolve_company,
    validate_company,
    write_config,
)


def test_version_flag_prints_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"uku-xero {__version__}"


def test_python_dash_m_is_the_same_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "uku_xero_cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"uku-xero {__version__}"


def test_unknown_command_is_usage_error(cli) -> None:
    result = cli("no-such-command")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_defaults_point_at_real_xero(
    isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XERO_CLIENT_ID")
    settings = load_settings()
    assert settings.config_dir == isolated_dirs["config"]
    assert settings.data_dir == isolated_dirs["data"]
    assert settings.endpoints.token_url == ENDPOINT_DEFAULTS["token_url"]
    assert settings.endpoints.api_url == "https://api.xero.com/api.xro/2.0"
    assert settings.redirect_port == DEFAULT_REDIRECT_PORT
    assert settings.client_id is None and settings.client_secret is None
    assert "offline_access" in settings.scopes.split()


def test_environment_wins_over_config_file(
    isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XERO_CLIENT_ID")
    write_config(
        isolated_dirs["config"],
        {
            "client_id": "FROMFILE",
            "redirect_port": 9001,
            "default_company": "acme",
            "endpoints": {"api_url": "http://file.example/api.xro/2.0"},
        },
    )
    settings = load_settings()
    assert settings.client_id == "FROMFILE"
    assert settings.redirect_port == 9001
    assert settings.endpoints.api_url == "http://file.example/api.xro/2.0"

    monkeypatch.setenv("XERO_CLIENT_ID", "FROMENV")
    monkeypatch.setenv("UKU_XERO_REDIRECT_PORT", "9002")
    monkeypatch.setenv("UKU_XERO_API_URL", "http://env.example/api.xro/2.0/")
    settings = load_settings()
    assert settings.client_id == "FROMENV"
    assert settings.redirect_port == 9002
    assert settings.endpoints.api_url == "http://env.example/api.xro/2.0"


def test_config_file_is_written_private(isolated_dirs: dict[str, Path]) -> None:
    path = write_config(isolated_dirs["config"], {"client_id": "X"})
    assert path.stat().st_mode & 0o777 == 0o600


def test_company_precedence(isolated_dirs: dict[str, Path]) -> None:
    write_config(isolated_dirs["config"], {"default_company": "fromfile"})
    settings = load_settings()
    assert resolve_company("flag", settings, {"UKU_XERO_COMPANY": "env"}) == "flag"
    assert resolve_company(None, settings, {"UKU_XERO_COMPANY": "env"}) == "env"
    assert resolve_company(None, settings, {}) == "fromfile"
    assert resolve_company(None, settings.with_changes(default_company=None), {}) == "default"


@pytest.mark.parametrize("name", ["acme", "Acme-Ltd_2", "a.b", "0"])
def test_good_company_names(name: str) -> None:
    assert validate_company(name) == name


@pytest.mark.parametrize("name", ["", "..", "../etc", "a/b", "a\\b", ".hidden", "a..b", "x" * 65])
def test_bad_company_names_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(InvalidCompanyName, match="letters, digits"):
        validate_company(name)


def test_bad_config_toml_is_a_clear_usage_error(isolated_dirs: dict[str, Path]) -> None:
    isolated_dirs["config"].mkdir(parents=True)
    (isolated_dirs["config"] / "config.toml").write_text("client_id = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_bad_port_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UKU_XERO_REDIRECT_PORT", "eighty")
    with pytest.raises(ConfigError, match="UKU_XERO_REDIRECT_PORT"):
        load_settings()


def test_exit_code_table_maps_every_typed_error() -> None:
    assert exit_code_for(UsageError("x")) == ExitCode.USAGE == 2
    assert exit_code_for(InvalidCompanyName("x")) == 2
    assert exit_code_for(ConfigError("x")) == 2
    assert exit_code_for(NetworkError("x")) == ExitCode.ERROR == 1
    assert exit_code_for(LockHeld("x")) == 1
    assert exit_code_for(NotConnected("x")) == ExitCode.NOT_CONNECTED == 3
    assert exit_code_for(ReauthorizationRequired("x")) == ExitCode.REAUTH_REQUIRED == 4
    assert exit_code_for(RateLimited("x")) == ExitCode.RATE_LIMITED == 5
    assert exit_code_for(PartialFailure("x", failures=[])) == ExitCode.PARTIAL == 6
    assert exit_code_for(RuntimeError("x")) == 1


def test_redact_masks_registered_and_shaped_secrets() -> None:
    register_secret("s3cr3t-refresh-token-value")
    text = redact(
        "refresh s3cr3t-refresh-token-value; Authorization: Bearer abc.def.ghi; "
        '{"access_token": "eyJhbGciOi"} code=abcdef&state=xyz'
    )
    assert "s3cr3t" not in text
    assert "abc.def.ghi" not in text
    assert "eyJhbGciOi" not in text
    assert "code=***" in text and "state=xyz" in text


def test_readme_exit_code_table_matches_the_code() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in readme, f"exit code {int(code)} missing from README"


def test_sandbox_refuses_non_loopback_host(cli) -> None:
    result = cli("sandbox", "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert "loopback only" in result.stderr
    assert "Traceback" not in result.stderr


def test_sandbox_command_serves_and_prints_variables(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XERO_", "UKU_XERO_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uku_xero_cli", "sandbox", "--port", "0", "--contacts", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(6)]
        variables = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert set(variables) == {
            "XERO_CLIENT_ID",
            "UKU_XERO_AUTHORIZE_URL",
            "UKU_XERO_TOKEN_URL",
            "UKU_XERO_REVOKE_URL",
            "UKU_XERO_CONNECTIONS_URL",
            "UKU_XERO_API_URL",
        }
        import httpx

        answer = httpx.get(variables["UKU_XERO_CONNECTIONS_URL"], timeout=5)
        assert answer.status_code == 401
        assert json.loads(answer.text)["Title"] == "Unauthorized"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_typed_error_becomes_one_json_document_and_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import typer

    from uku_xero_cli.cli.output import Output

    out = Output(json_mode=True)
    with pytest.raises(typer.Exit) as exited, out.guard():
        raise NotConnected("company 'acme' is not connected", hint="run `uku-xero auth -c acme`")
    assert exited.value.exit_code == 3
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document == {
        "error": {
            "code": "not_connected",
            "message": "company 'acme' is not connected",
            "hint": "run `uku-xero auth -c acme`",
        }
    }


def test_unexpected_error_has_no_traceback_and_no_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import typer

    from uku_xero_cli.cli.output import Output

    register_secret("very-secret-access-token-123")
    out = Output()
    with pytest.raises(typer.Exit) as exited, out.guard():
        raise RuntimeError("boom with very-secret-access-token-123")
    assert exited.value.exit_code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "very-secret-access-token-123" not in err
    assert "unexpected error: RuntimeError: boom with ***" in err
    assert "--verbose" in err


def test_verbose_traceback_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from uku_xero_cli.cli.output import Output

    register_secret("another-secret-refresh-token")
    out = Output(verbose=True)
    with pytest.raises(typer.Exit), out.guard():
        raise RuntimeError("refresh another-secret-refresh-token failed")
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "another-secret-refresh-token" not in err


def test_usage_error_with_json_flag_still_prints_a_json_document(cli) -> None:
    result = cli("sandbox", "--port", "notaport", "--json")
    assert result.exit_code == 2
    assert result.json()["error"]["code"] == "usage"


def test_bad_company_name_is_exit_2_with_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from uku_xero_cli.cli.context import command_context

    with pytest.raises(typer.Exit) as exited:
        command_context("../../etc/passwd")
    assert exited.value.exit_code == 2


def test_invalid_input_lists_every_problem_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from uku_xero_cli.cli.output import Output
    from uku_xero_cli.errors import InvalidInput

    out = Output(json_mode=True)
    with pytest.raises(typer.Exit) as exited, out.guard():
        raise InvalidInput("bad file", problems=["line 2: missing id", "line 3: missing name"])
    assert exited.value.exit_code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["message"] == "bad file"
    assert error["problems"] == ["line 2: missing id", "line 3: missing name"]


def test_worst_exit_code_of_several_companies() -> None:
    from uku_xero_cli.cli.exit_codes import worst

    assert worst([]) == 0
    assert worst([0, 0]) == 0
    assert worst([0, 6, 2]) == 6
    assert worst([5, 4]) == 4
    assert worst([3, 5]) == 3
    assert worst([4, 1, 3]) == 1


def test_an_empty_company_flag_is_refused_not_taken_for_the_default(cli) -> None:
    result = cli("status", "-c", "", "--offline")
    assert result.exit_code == 2
    assert "invalid company name ''" in result.stderr
