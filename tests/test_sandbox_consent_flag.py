"""`uku-xero sandbox --consent auto|deny|page`, served as a user runs it: a process of its own,
reached over real loopback HTTP through the variables it prints."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx

from uku_xero_cli.settings import DEFAULT_REDIRECT_PORT

REDIRECT_URI = f"http://localhost:{DEFAULT_REDIRECT_PORT}/callback"


@contextmanager
def served(*flags: str) -> Iterator[dict[str, str]]:
    """Run the sandbox command and yield the variables it printed."""
    command = [sys.executable, "-m", "uku_xero_cli", "sandbox", "--port", "0"]
    command += ["--contacts", "5", "--invoices", "5", *flags]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        variables: dict[str, str] = {}
        while "UKU_XERO_API_URL" not in variables:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "sandbox exited"
            name, _, value = line.strip().removeprefix("export ").partition("=")
            variables[name] = value
        yield variables
    finally:
        server.terminate()
        server.wait(timeout=10)


def authorize(variables: dict[str, str], state: str) -> httpx.Response:
    """The browser's first request of a PKCE log-in, as uku-xero's `auth` builds it."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": variables["XERO_CLIENT_ID"],
        "redirect_uri": REDIRECT_URI,
        "scope": "offline_access accounting.contacts",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return httpx.get(variables["UKU_XERO_AUTHORIZE_URL"], params=params, timeout=10)


def redirect_query(answer: httpx.Response) -> dict[str, list[str]]:
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def test_consent_deny_sends_the_app_access_denied() -> None:
    with served("--consent", "deny") as variables:
        query = redirect_query(authorize(variables, "s-deny"))
        base = variables["UKU_XERO_API_URL"].removesuffix("/api.xro/2.0")
        connections = httpx.get(f"{base}/_sandbox/connections", timeout=10)
    assert query == {"error": ["access_denied"], "state": ["s-deny"]}
    assert connections.status_code == 200
    assert connections.json()["connections"] == []


def test_consent_page_shows_the_organisations_and_connects_the_ticked_one() -> None:
    with served("--consent", "page") as variables:
        page = authorize(variables, "s-page")
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        tenants = re.findall(r"name='tenant' value='([^']+)'", page.text)
        (consent_id,) = re.findall(r"name='consent_id' value='([^']+)'", page.text)
        chosen = tenants[1]
        answer = httpx.post(
            variables["UKU_XERO_AUTHORIZE_URL"],
            data={"consent_id": consent_id, "tenant": chosen, "decision": "allow"},
            timeout=10,
        )
        query = redirect_query(answer)
        base = variables["UKU_XERO_API_URL"].removesuffix("/api.xro/2.0")
        connections = httpx.get(f"{base}/_sandbox/connections", timeout=10).json()
    assert len(tenants) == 2
    assert query["state"] == ["s-page"] and query["code"][0]
    assert [c["tenantId"] for c in connections["connections"]] == [chosen]


def test_consent_auto_is_the_default_and_sends_a_code() -> None:
    with served() as variables:
        query = redirect_query(authorize(variables, "s-auto"))
    assert "error" not in query
    assert query["state"] == ["s-auto"] and query["code"][0]


def test_an_unknown_consent_mode_is_a_usage_error(cli) -> None:
    result = cli("sandbox", "--port", "0", "--consent", "maybe")
    assert result.exit_code == 2
    assert "--consent" in result.stderr
    assert "auto" in result.stderr and "deny" in result.stderr and "page" in result.stderr


def test_the_behaviour_flags_reach_the_running_emulator() -> None:
    flags = ["--max-query-length", "100", "--idempotency-ttl", "30", "--users", "2"]
    flags += ["--idempotency-mismatch", "process", "--no-revoke-ends-other-sign-ins"]
    with served(*flags, "--id-filters-carry-lines") as variables:
        base = variables["UKU_XERO_API_URL"].removesuffix("/api.xro/2.0")
        behaviour = httpx.get(f"{base}/_sandbox/behaviour", timeout=10).json()
        users = httpx.get(f"{base}/_sandbox/users", timeout=10).json()["users"]
        long_query = httpx.get(f"{variables['UKU_XERO_API_URL']}/Invoices?where={'x' * 100}")
    assert behaviour == {
        "id_filters_carry_lines": True,
        "max_query_length": 100,
        "idempotency_ttl": 30.0,
        "idempotency_mismatch": "process",
        "revoke_ends_other_sign_ins": False,
    }
    assert [u["name"] for u in users] == ["Sam Sandbox", "Alex Sandbox"]
    assert long_query.status_code == 404
    assert long_query.text == "The resource you're looking for cannot be found"
