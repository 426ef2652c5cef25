"""`-v`, `-vv` and `UKU_XERO_LOG`: every exchange, refresh and wait told, no secret ever.

Runs the CLI against the emulator over loopback HTTP; the secrets test taps the emulator's
wire to learn every token, code, verifier and secret it issued or received, then greps every
output of a -vv run for them.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.conftest import CliResult, small_config
from tests.connected import connect_company
from tests.invoice_helpers import invoice, write
from uku_xero_cli.sandbox import control, environment
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET
from uku_xero_cli.sandbox.requestlog import SECRET_FIELDS
from uku_xero_cli.sandbox.server import RunningServer, serve_in_thread
from uku_xero_cli.settings import load_settings, write_config
from uku_xero_cli.tokens import TokenStore
from uku_xero_cli.trace import MASK, safe_body, safe_headers, safe_url

Cli = Callable[..., CliResult]
HTTP_LINE = re.compile(
    r"^\[acme\] http GET http://127\.0\.0\.1:\d+/api\.xro/2\.0/Items -> 200 in [\d.]+ s "
    r"\(left: minute \d+, day \d+, app minute \d+\)$",
    re.M,
)


def log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- what -v says ------------------------------------------------------------------------------


def test_v_tells_each_exchange_with_status_time_and_headroom(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    quiet = cli("reload", "-c", "acme", "--only", "items")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    told = cli("reload", "-c", "acme", "--only", "items", "-v")
    assert told.exit_code == 0, told.stderr
    assert HTTP_LINE.search(told.stderr), told.stderr
    assert "products (items)" in told.stdout  # the data stays on stdout, the trace apart


def test_verbose_counts_and_the_long_form_still_works(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    long_form = cli("reload", "-c", "acme", "--only", "items", "--verbose")
    assert HTTP_LINE.search(long_form.stderr)
    assert "  > authorization" not in long_form.stderr  # headers are -vv's
    twice = cli("reload", "-c", "acme", "--only", "items", "--verbose", "--verbose")
    assert "  > authorization: Bearer ***" in twice.stderr


def test_a_429_shows_the_refusal_the_wait_and_the_retry(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.limits.force("minute", count=1, retry_after=1)
    result = cli("reload", "-c", "acme", "--only", "items", "-v")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    refused = next(i for i, line in enumerate(lines) if "-> 429" in line)
    assert "Retry-After 1; limit minute" in lines[refused]
    assert lines[refused + 1] == (
        "[acme] wait (retry-after): Xero's minute limit: waiting 1.00 s, then try 2"
    )
    assert re.match(r"\[acme\] http GET \S+/Items -> 200 in [\d.]+ s \(try 2; ", lines[refused + 2])


def test_a_refresh_says_why_it_was_due(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox, expires_in=20)
    result = cli("status", "-c", "acme", "-v")
    assert result.exit_code == 0, result.stderr
    assert re.search(
        r"^\[acme\] token refresh: the access token expires in (?:1\d|20) s \(under 60 s left\)\n"
        r"\[acme\] http POST http://127\.0\.0\.1:\d+/connect/token -> 200 in [\d.]+ s\n"
        r"\[acme\] token refreshed: the new access token is good for 1[78]\d\d s$",
        result.stderr,
        re.M,
    ), result.stderr


def test_a_401_refresh_says_xero_refused_the_token(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    control.expire_access_tokens(sandbox)
    result = cli("status", "-c", "acme", "-v")
    assert result.exit_code == 0, result.stderr
    assert "/connections -> 401 in" in result.stderr
    assert "[acme] token refresh: Xero answered 401 to the access token" in result.stderr


def test_a_wait_for_the_token_lock_names_the_process_holding_it(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    token_lock_held: Callable[[float], subprocess.Popen[str]],
) -> None:
    connect_company(sandbox, expires_in=0)
    other = token_lock_held(1.0)
    result = cli("status", "-c", "acme", "-v")
    assert result.exit_code == 0, result.stderr
    reason = (
        "another uku-xero process is refreshing the token of company 'acme' "
        f"(pid {other.pid}, uku-xero 1.0): waiting"
    )
    assert f"[acme] wait (lock): {reason}" in result.stderr
    assert re.search(r"^\[acme\] wait \(lock\) over after \d\.\d\d s: ", result.stderr, re.M)


def test_the_disconnect_tells_the_identity_calls_too(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("disconnect", "-c", "acme", "--yes", "-v")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"http POST http://127\.0\.0\.1:\d+/connect/revocation -> 200", result.stderr)
    assert re.search(r"http DELETE http://127\.0\.0\.1:\d+/connections/\S+ -> 204", result.stderr)


def test_vv_shows_headers_and_bodies_with_credentials_masked(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, expires_in=0)
    result = cli("status", "-c", "acme", "-vv")
    assert result.exit_code == 0, result.stderr
    assert "  > authorization: Bearer ***" in result.stderr
    assert "  > body: grant_type=refresh_token&refresh_token=***&client_id=" in result.stderr
    answer = next(line for line in result.stderr.splitlines() if '"access_token"' in line)
    body = json.loads(answer.split("< body: ", 1)[1])
    assert body["access_token"] == body["refresh_token"] == body["id_token"] == MASK
    assert body["expires_in"] == 1800
    assert re.search(r'  < body: \[\{"id": "[0-9a-f-]+", "authEventId"', result.stderr)


# -- the log file ------------------------------------------------------------------------------


def test_the_log_file_gets_every_event_as_json_lines_whatever_v_says(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "trace.jsonl"
    monkeypatch.setenv("UKU_XERO_LOG", str(log))
    connect_company(sandbox, expires_in=0)
    sandbox.limits.force("minute", count=1, retry_after=1)
    result = cli("reload", "-c", "acme", "--only", "items")
    assert result.exit_code == 0 and result.stderr == ""
    events = log_lines(log)
    assert [e["event"] for e in events] == [
        "refresh",  # started
        "http",  # POST /connect/token
        "refresh",  # refreshed
        "http",  # 429
        "wait",  # start
        "wait",  # end
        "http",  # 200
    ]
    assert all(e["company"] == "acme" and e["time"].endswith("+00:00") for e in events)
    refused = events[3]
    assert refused["status"] == 429 and refused["retry_after"] == "1"
    assert refused["limits"] == {"minute": 0, "day": sandbox.config.day_limit, "app_minute": 10000}
    assert events[5]["phase"] == "end" and events[5]["waited"] >= 1.0
    assert events[6]["attempt"] == 2 and events[6]["url"].endswith("/api.xro/2.0/Items")
    assert (log.stat().st_mode & 0o777) == 0o600


def test_the_log_file_never_holds_headers_or_bodies_and_appends(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    log = tmp_path / "trace.jsonl"
    write_config(load_settings().config_dir, {"log_file": str(log)})
    connect_company(sandbox)
    cli("reload", "-c", "acme", "--only", "items", "-vv")
    first = len(log_lines(log))
    cli("status", "-c", "acme")
    events = log_lines(log)
    assert first == 1 and len(events) == 2
    assert not any({"request", "response"} & set(e) for e in events)
    assert events[1]["url"].endswith("/connections")


def test_a_log_file_that_cannot_be_written_stops_the_command_with_exit_2(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UKU_XERO_LOG", str(tmp_path / "missing" / "trace.jsonl"))
    result = cli("status", "-c", "acme", "--offline")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the log file ")
    assert "cannot be written (No such file or directory)" in result.stderr


# -- redaction ---------------------------------------------------------------------------------


def test_urls_lose_the_values_of_secret_parameters() -> None:
    url = safe_url("http://x/cb?code=abc123&state=s", {"page": 2, "refresh_token": "r-secret"})
    assert url == "http://x/cb?code=***&state=s&page=2&refresh_token=***"
    where = safe_url("http://x/Invoices", {"where": 'Type=="ACCREC"', "IDs": "a,b"})
    assert where == 'http://x/Invoices?where=Type=="ACCREC"&IDs=a,b'


def test_headers_keep_the_scheme_and_lose_the_credential() -> None:
    shown = safe_headers({"Authorization": "Basic QUJDOkRFRg==", "xero-tenant-id": "t-1"})
    assert shown == {"Authorization": "Basic ***", "xero-tenant-id": "t-1"}


def test_token_answers_and_forms_keep_only_their_harmless_fields() -> None:
    answer = json.dumps({"access_token": "a" * 40, "id_token": "x.y.z", "expires_in": 1800})
    assert json.loads(safe_body(answer, "application/json") or "") == {
        "access_token": MASK,
        "id_token": MASK,
        "expires_in": 1800,
    }
    form = "grant_type=authorization_code&code=c0de&code_verifier=v" + "e" * 50
    assert safe_body(form, "application/x-www-form-urlencoded") == (
        "grant_type=authorization_code&code=***&code_verifier=***"
    )
    assert (safe_body("x" * 5000, "text/plain") or "").endswith("… (1000 more characters)")


# -- no secret anywhere ------------------------------------------------------------------------


class WireTap:
    """WSGI middleware around the emulator keeping every request and answer body, and every
    Authorization header, as they crossed the wire."""

    def __init__(self, app: Sandbox) -> None:
        self.app = app
        self.seen: list[bytes] = []
        self.credentials: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        self.seen.append(body)
        _, _, credential = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if credential:
            self.credentials.append(credential)
        chunks = list(self.app(environ, start_response))
        self.seen.extend(chunks)
        return chunks

    def secrets(self) -> dict[str, set[str]]:
        """Every secret value that crossed the wire, by field name."""
        found: dict[str, set[str]] = {"credential": set(self.credentials)}

        def keep(fields: Iterable[tuple[str, Any]]) -> None:
            for key, value in fields:
                if key in SECRET_NAMES and isinstance(value, str) and value:
                    found.setdefault(key, set()).add(value)

        for body in self.seen:
            text = body.decode("utf-8", "replace")
            try:
                data = json.loads(text)
            except ValueError:
                keep(parse_qsl(text))
                continue
            if isinstance(data, dict):
                keep(data.items())
        return found


# What the emulator counts as secret in what it is sent and answers (its own list, kept apart
# from the client's redaction on purpose).
SECRET_NAMES = SECRET_FIELDS - {"password"}


def test_no_token_code_verifier_or_secret_reaches_any_output_of_a_vv_run(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_auth_cli import free_port

    port = free_port()
    sandbox = Sandbox(small_config(redirect_uris=[f"http://localhost:{port}/callback"]))
    sandbox.config.consent_tenants = [sandbox.state.default_user().tenant_ids[0]]
    tap = WireTap(sandbox)
    server = serve_in_thread(tap)
    try:
        for name, value in environment(server.url, CONFIDENTIAL_CLIENT_ID).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("XERO_CLIENT_SECRET", CONFIDENTIAL_CLIENT_SECRET)
        monkeypatch.setenv("UKU_XERO_REDIRECT_PORT", str(port))
        log = tmp_path / "trace.jsonl"
        monkeypatch.setenv("UKU_XERO_LOG", str(log))

        def consenting_browser(url: str) -> bool:
            answer = httpx.get(url, follow_redirects=False, timeout=10)
            httpx.get(answer.headers["location"], timeout=10)
            return True

        monkeypatch.setattr("uku_xero_cli.cli.auth_cmd.open_browser", consenting_browser)
        invoice_file = write(tmp_path, "invoice.json", invoice("UKU-2026-0001"))
        runs = [cli("auth", "-c", "acme", "-vv")]
        runs.append(cli("reload", "-c", "acme", "-vv"))
        control.expire_access_tokens(sandbox)  # the push refreshes after a 401
        runs.append(cli("push-invoice", "-c", "acme", invoice_file, "-vv"))
        runs.append(cli("check-paid", "-c", "acme", "-vv", "--json"))
        record = TokenStore(load_settings()).load("acme")
        runs.append(cli("disconnect", "-c", "acme", "--yes", "-vv"))
    finally:
        server.stop()
    assert [r.exit_code for r in runs] == [0, 0, 0, 0, 0], [r.stderr[-600:] for r in runs]

    secrets = tap.secrets()
    with sandbox.state.lock:
        secrets["issued"] = {
            *sandbox.state.codes,
            *sandbox.state.refresh_tokens,
            *sandbox.state.access_tokens,
        }
    secrets["client_secret"] = {CONFIDENTIAL_CLIENT_SECRET}
    assert record is not None and record.refresh_token in secrets["refresh_token"]
    # The run really carried every kind of secret: a grep for nothing would pass.
    assert {"code", "code_verifier", "id_token", "token", "credential"} <= set(secrets)
    assert len(secrets["refresh_token"]) >= 2 and len(secrets["access_token"]) >= 2

    outputs = [r.stdout + r.stderr for r in runs] + [log.read_text(encoding="utf-8")]
    assert all("-> 200" in o or '"status": 200' in o for o in outputs[:1] + outputs[-1:])
    leaked = {
        (kind, value[:8])
        for kind, values in secrets.items()
        for value in values
        for text in outputs
        if value in text
    }
    assert not leaked
