"""OAuth pieces on their own: authorize URL, token calls, redirect checks, the loopback server."""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import json
import os
import socket
import socketserver
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pytest_httpx import HTTPXMock

from uku_xero_cli.errors import (
    AuthorizationDenied,
    AuthorizationFailed,
    AuthorizationTimeout,
    NetworkError,
    PortInUse,
    PortUnavailable,
    ReauthorizationRequired,
    StateMismatch,
    UsageError,
)
from uku_xero_cli.oauth import pages
from uku_xero_cli.oauth.flow import (
    AuthorizationRequest,
    IdentityClient,
    code_from_redirect,
    id_token_claims,
)
from uku_xero_cli.oauth.loopback import LoopbackServer
from uku_xero_cli.settings import Endpoints, Settings
from uku_xero_cli.xero.retry import RetryPolicy

TOKEN_URL = "https://identity.example/connect/token"
REVOKE_URL = "https://identity.example/connect/revocation"


def settings(tmp_path: object, secret: str | None = None) -> Settings:
    from pathlib import Path

    base = Path(str(tmp_path))
    return Settings(
        config_dir=base / "c",
        data_dir=base / "d",
        client_id="CLIENT123",
        client_secret=secret,
        endpoints=Endpoints(
            authorize_url="https://login.example/identity/connect/authorize",
            token_url=TOKEN_URL,
            revoke_url=REVOKE_URL,
        ),
    )


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- authorize URL -------------------------------------------------------------------------


def test_authorize_url_carries_pkce_s256_state_scopes_and_redirect(tmp_path: object) -> None:
    client = IdentityClient(settings(tmp_path))
    request = client.authorization_request("http://localhost:8763/callback", "openid email")
    parts = urlsplit(request.url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://login.example/identity/connect/authorize"
    )
    assert query["response_type"] == "code"
    assert query["client_id"] == "CLIENT123"
    assert query["redirect_uri"] == "http://localhost:8763/callback"
    assert query["scope"] == "openid email"
    assert query["state"] == request.state and len(request.state) >= 32
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(request.code_verifier.encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(request.code_verifier) <= 128


def test_each_authorize_request_has_its_own_state_and_verifier(tmp_path: object) -> None:
    client = IdentityClient(settings(tmp_path))
    one = client.authorization_request("http://localhost:1/callback")
    two = client.authorization_request("http://localhost:1/callback")
    assert one.state != two.state and one.code_verifier != two.code_verifier


def test_default_scopes_are_the_granular_set(tmp_path: object) -> None:
    request = IdentityClient(settings(tmp_path)).authorization_request("http://localhost:1/cb")
    assert "accounting.invoices" in request.scopes and "offline_access" in request.scopes
    assert "accounting.transactions" not in request.scopes


# -- redirect checks -----------------------------------------------------------------------


def pending() -> AuthorizationRequest:
    return AuthorizationRequest(
        url="https://login.example/authorize",
        redirect_uri="http://localhost:8763/callback",
        scopes=("openid",),
        state="expected-state-value",
        code_verifier="v" * 64,
        nonce="n" * 24,
    )


def test_redirect_with_matching_state_gives_the_code() -> None:
    url = "http://localhost:8763/callback?code=the-code-123&state=expected-state-value"
    assert code_from_redirect(pending(), url) == "the-code-123"


@pytest.mark.parametrize(
    "query",
    [
        "code=abc&state=other",
        "code=abc",
        "error=access_denied&state=forged",
        "error=invalid_scope",
    ],
)
def test_redirect_with_wrong_or_missing_state_is_refused(query: str) -> None:
    with pytest.raises(StateMismatch, match="not from the sign-in uku-xero is waiting for"):
        code_from_redirect(pending(), f"http://localhost:8763/callback?{query}", company="acme")


def test_access_denied_redirect_says_the_consent_was_declined() -> None:
    url = "http://localhost:8763/callback?error=access_denied&state=expected-state-value"
    with pytest.raises(AuthorizationDenied, match="declined"):
        code_from_redirect(pending(), url)


def test_invalid_scope_redirect_explains_the_likely_cause() -> None:
    url = "http://localhost:8763/callback?error=invalid_scope&state=expected-state-value"
    with pytest.raises(AuthorizationFailed) as caught:
        code_from_redirect(pending(), url)
    assert "invalid_scope" in caught.value.message
    assert caught.value.hint is not None and "scopes" in caught.value.hint


# -- token endpoint ------------------------------------------------------------------------


def test_code_exchange_of_a_public_client_sends_verifier_and_client_id(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=TOKEN_URL,
        json={
            "access_token": "at-1",
            "refresh_token": "rt-1",
            "expires_in": 1800,
            "token_type": "Bearer",
            "scope": "openid email offline_access",
            "id_token": jwt(
                {"name": "Kadri Tamm", "email": "kadri@example.com", "nonce": "n" * 24}
            ),
        },
    )
    answer = IdentityClient(settings(tmp_path)).exchange_code(pending(), "the-code")
    sent = httpx_mock.get_requests()[0]
    body = form(sent)
    assert body == {
        "grant_type": "authorization_code",
        "redirect_uri": "http://localhost:8763/callback",
        "code": "the-code",
        "code_verifier": "v" * 64,
        "client_id": "CLIENT123",
    }
    assert "authorization" not in sent.headers
    assert sent.headers["user-agent"].startswith("uku-xero/")
    assert answer.refresh_token == "rt-1"
    assert answer.scopes == ("openid", "email", "offline_access")
    assert (answer.user_name, answer.user_email) == ("Kadri Tamm", "kadri@example.com")


def test_code_exchange_with_a_secret_uses_client_secret_basic(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=TOKEN_URL, json={"access_token": "at", "expires_in": 60})
    IdentityClient(settings(tmp_path, "s3cret-value")).exchange_code(pending(), "c")
    sent = httpx_mock.get_requests()[0]
    expected = base64.b64encode(b"CLIENT123:s3cret-value").decode()
    assert sent.headers["authorization"] == f"Basic {expected}"
    assert "client_secret" not in form(sent)


def test_id_token_with_a_different_nonce_is_refused(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=TOKEN_URL, json={"access_token": "at", "id_token": jwt({"nonce": "someone-else"})}
    )
    with pytest.raises(AuthorizationFailed, match="nonce"):
        IdentityClient(settings(tmp_path)).exchange_code(pending(), "c")


def test_refresh_sends_the_refresh_token_grant(tmp_path: object, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=TOKEN_URL, json={"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 1800}
    )
    answer = IdentityClient(settings(tmp_path)).refresh("rt-1")
    assert form(httpx_mock.get_requests()[0]) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "CLIENT123",
    }
    assert answer.refresh_token == "rt-2"


def test_invalid_grant_on_refresh_requires_reauthorization(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=TOKEN_URL, status_code=400, json={"error": "invalid_grant"})
    with pytest.raises(ReauthorizationRequired, match="invalid_grant"):
        IdentityClient(settings(tmp_path)).refresh("rt-1")


def test_invalid_grant_on_code_exchange_is_a_failed_sign_in(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=TOKEN_URL, status_code=400, json={"error": "invalid_grant"})
    with pytest.raises(AuthorizationFailed, match="invalid_grant"):
        IdentityClient(settings(tmp_path)).exchange_code(pending(), "c")


def test_unauthorized_client_hints_at_the_redirect_uri(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=TOKEN_URL, status_code=400, json={"error": "unauthorized_client"})
    with pytest.raises(AuthorizationFailed) as caught:
        IdentityClient(settings(tmp_path)).refresh("rt")
    assert caught.value.hint is not None and "redirect URI" in caught.value.hint


def no_wait_retry() -> RetryPolicy:
    return RetryPolicy(attempts=3, sleep=lambda seconds: None)


def test_refresh_timeout_is_a_network_error_after_retries(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=TOKEN_URL, is_reusable=True)
    with pytest.raises(NetworkError, match="did not answer"):
        IdentityClient(settings(tmp_path), retry=no_wait_retry()).refresh("rt")
    assert len(httpx_mock.get_requests()) == 3


def test_identity_5xx_is_a_network_error_after_retries(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=TOKEN_URL, status_code=503, text="busy", is_reusable=True)
    with pytest.raises(NetworkError, match="503"):
        IdentityClient(settings(tmp_path), retry=no_wait_retry()).refresh("rt")
    assert len(httpx_mock.get_requests()) == 3


def test_a_refresh_answered_503_once_succeeds_on_the_retry_with_the_same_token(
    tmp_path: object, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=TOKEN_URL, status_code=503, text="busy")
    httpx_mock.add_response(
        url=TOKEN_URL, json={"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 1800}
    )
    answer = IdentityClient(settings(tmp_path), retry=no_wait_retry()).refresh("rt-1")
    assert answer.refresh_token == "rt-2"
    sent = httpx_mock.get_requests()
    assert [form(r)["refresh_token"] for r in sent] == ["rt-1", "rt-1"]


def test_revoke_posts_the_token_with_its_type(tmp_path: object, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=REVOKE_URL, status_code=200)
    IdentityClient(settings(tmp_path, "sec-ret-1")).revoke("rt-9")
    sent = httpx_mock.get_requests()[0]
    assert form(sent) == {"token": "rt-9", "token_type_hint": "refresh_token"}
    assert sent.headers["authorization"].startswith("Basic ")


def test_id_token_claims_are_read_without_a_signature_check() -> None:
    assert id_token_claims(jwt({"email": "a@b.example"}))["email"] == "a@b.example"
    assert id_token_claims("not-a-jwt") == {}
    assert id_token_claims("a.%%%.c") == {}


# -- loopback server -----------------------------------------------------------------------


class BrowserTab:
    """GETs a URL in a thread of its own, as a browser tab does: the loopback server holds
    the redirect's answer until the sign-in's outcome is known."""

    def __init__(self, url: str) -> None:
        self.page: httpx.Response | None = None
        self._thread = threading.Thread(target=self._get, args=(url,))
        self._thread.start()

    def _get(self, url: str) -> None:
        self.page = httpx.get(url, timeout=20)

    def shown(self) -> httpx.Response:
        self._thread.join(20)
        assert self.page is not None
        return self.page


def test_loopback_holds_the_browser_until_the_outcome_is_concluded() -> None:
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        tab = BrowserTab(f"http://127.0.0.1:{server.port}/callback?code=xyz&state={req.state}")
        assert server.wait(5) == "xyz"
        time.sleep(0.2)
        assert tab.page is None  # the code exchange is still to come
        server.conclude(pages.connected("Connected company 'acme' to Acme Ltd."))
        page = tab.shown()
    assert page.status_code == 200
    assert "<title>Connected · uku-xero</title>" in page.text
    assert "Connected company &#x27;acme&#x27; to Acme Ltd." in page.text
    assert server.redirect_uri == f"http://localhost:{server.port}/callback"


def test_loopback_shows_the_error_the_sign_in_ends_with() -> None:
    req = pending()
    with (
        pytest.raises(AuthorizationFailed),
        LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server,
    ):
        tab = BrowserTab(f"http://127.0.0.1:{server.port}/callback?code=xyz&state={req.state}")
        server.wait(5)
        raise AuthorizationFailed("the scopes lack offline_access", hint="add offline_access")
    page = tab.shown()
    assert page.status_code == 400 and "<title>Not connected · uku-xero</title>" in page.text
    assert "the scopes lack offline_access" in page.text and "add offline_access" in page.text


def test_a_browser_waiting_on_a_person_is_told_so_and_gets_the_outcome_later() -> None:
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        tab = BrowserTab(f"http://127.0.0.1:{server.port}/callback?code=xyz&state={req.state}")
        server.wait(5)
        server.attention("Choose the organisation in the terminal.")
        finishing = tab.shown()
        assert finishing.status_code == 200
        assert "Choose the organisation in the terminal." in finishing.text
        assert f'url={server.outcome_path}"' in finishing.text  # asks again by itself
        later = BrowserTab(f"http://127.0.0.1:{server.port}{server.outcome_path}")
        time.sleep(0.2)
        assert later.page is None  # held until the outcome
        server.conclude(pages.connected("Connected company 'acme' to Acme Ltd."))
        assert "Connected company" in later.shown().text


def test_a_browser_that_was_told_to_ask_again_gets_the_last_word_before_closing() -> None:
    req = pending()
    server = LoopbackServer(0, lambda url: code_from_redirect(req, url), hold=0.2)
    with server:
        tab = BrowserTab(f"http://127.0.0.1:{server.port}/callback?code=xyz&state={req.state}")
        server.wait(5)
        assert "Finishing" in tab.shown().text  # held no longer than `hold`
        server.conclude(pages.connected("Connected company 'acme' to Acme Ltd."))
        poll = threading.Timer(
            0.5,
            lambda: setattr(
                tab,
                "page",
                httpx.get(f"http://127.0.0.1:{server.port}{server.outcome_path}", timeout=5),
            ),
        )
        poll.start()
    # Closing waited for the browser's next question (its refresh comes after a second).
    poll.join(5)
    assert tab.page is not None and "Connected company" in tab.page.text


def test_loopback_answers_other_paths_with_404_and_keeps_waiting() -> None:
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        other = httpx.get(f"http://127.0.0.1:{server.port}/favicon.ico")
        assert other.status_code == 404 and "<title>Not found · uku-xero</title>" in other.text
        BrowserTab(f"http://127.0.0.1:{server.port}/callback?code=c1&state={req.state}")
        assert server.wait(5) == "c1"


def test_loopback_with_wrong_state_shows_a_failure_page_and_keeps_waiting() -> None:
    req = pending()
    notes: list[str] = []
    with LoopbackServer(
        0, lambda url: code_from_redirect(req, url, company="acme"), on_ignored=notes.append
    ) as server:
        base = f"http://127.0.0.1:{server.port}/callback"
        for forged in ("code=c1&state=forged", "error=access_denied&state=forged"):
            page = httpx.get(f"{base}?{forged}")
            assert page.status_code == 400 and "still waiting" in page.text
            assert "<title>Not this sign-in · uku-xero</title>" in page.text
            assert "uku-xero auth -c acme" in page.text
        right = BrowserTab(f"{base}?code=c2&state={req.state}")
        assert server.wait(5) == "c2"
    assert right.shown().status_code == 200
    assert server.ignored == 2 and len(notes) == 2
    assert "not from the sign-in uku-xero is waiting for" in notes[0]


def test_loopback_timeout_says_how_many_redirects_it_ignored() -> None:
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        httpx.get(f"http://127.0.0.1:{server.port}/callback?error=access_denied&state=x")
        with pytest.raises(AuthorizationTimeout, match="1 not of this sign-in ignored"):
            server.wait(0.2)


def test_loopback_times_out_and_releases_the_port() -> None:
    port = free_port()
    with (
        pytest.raises(AuthorizationTimeout, match="within 0 s"),
        LoopbackServer(port, lambda url: url) as server,
    ):
        server.wait(0.2)
    with socket.socket() as again:  # the port is free again
        again.bind(("127.0.0.1", port))


def test_loopback_port_in_use_says_how_to_fix_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            LoopbackServer(port, lambda url: url).start()
    assert f"port {port}" in caught.value.message
    assert caught.value.hint is not None and "--port" in caught.value.hint


@pytest.mark.parametrize(
    ("code", "why"),
    [(errno.EACCES, "may not listen"), (errno.EADDRNOTAVAIL, "not available")],
)
def test_loopback_port_it_may_not_use_says_how_to_fix_it(
    code: int, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(socketserver.TCPServer, "server_bind", refuse)
    with pytest.raises(PortUnavailable) as caught:
        LoopbackServer(80, lambda url: url).start()
    assert "cannot listen on port 80" in caught.value.message and why in caught.value.message
    assert caught.value.hint is not None and "--port N" in caught.value.hint


def test_loopback_refuses_a_port_out_of_range() -> None:
    with pytest.raises(UsageError, match="1-65535"):
        LoopbackServer(70000, lambda url: url).start()


def test_loopback_listens_on_ipv6_loopback_too_where_available() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 on this machine")
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        assert "::1" in server.addresses
        BrowserTab(f"http://[::1]:{server.port}/callback?code=six&state={req.state}")
        assert server.wait(5) == "six"


def test_pasted_redirect_url_is_accepted_and_junk_is_explained() -> None:
    req = pending()
    notes: list[str] = []
    read_fd, write_fd = os.pipe()
    with (
        os.fdopen(read_fd) as stdin,
        LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server,
    ):
        os.write(write_fd, b"hello\n")
        url = f"http://localhost:{server.port}/callback?code=pasted&state={req.state}\n"
        os.write(write_fd, url.encode())
        assert server.wait(5, paste=stdin, on_bad_paste=notes.append) == "pasted"
    os.close(write_fd)
    assert len(notes) == 1 and "not the redirect URL" in notes[0]


def test_browser_wins_when_nothing_is_pasted() -> None:
    req = pending()
    read_fd, write_fd = os.pipe()
    with (
        os.fdopen(read_fd) as stdin,
        LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server,
    ):
        threading.Timer(
            0.1,
            lambda: httpx.get(f"http://127.0.0.1:{server.port}/callback?code=b&state={req.state}"),
        ).start()
        assert server.wait(5, paste=stdin) == "b"
    os.close(write_fd)


def test_second_redirect_after_the_first_is_told_it_is_over() -> None:
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        BrowserTab(f"http://127.0.0.1:{server.port}/callback?code=a&state={req.state}")
        assert server.wait(5) == "a"
        late = httpx.get(f"http://127.0.0.1:{server.port}/callback?code=b&state={req.state}")
    assert "already finished" in late.text


def test_empty_paste_stream_leaves_the_browser_path_open() -> None:
    req = pending()
    with LoopbackServer(0, lambda url: code_from_redirect(req, url)) as server:
        threading.Timer(
            0.1,
            lambda: httpx.get(f"http://127.0.0.1:{server.port}/callback?code=b&state={req.state}"),
        ).start()
        assert server.wait(5, paste=io.StringIO("")) == "b"


def test_control_characters_in_xeros_error_description_never_reach_the_terminal() -> None:
    description = "%1b%5b2J%1b%5b31mXero%0d%0ais%09down%07%e2%80%ae"
    url = (
        "http://localhost:8763/callback?error=server_error"
        f"&error_description={description}&state=expected-state-value"
    )
    with pytest.raises(AuthorizationFailed) as caught:
        code_from_redirect(pending(), url, company="acme")
    message = caught.value.message
    assert all(ch.isprintable() for ch in message), repr(message)
    assert "Xero is down" in message and "server_error" in message


def test_a_server_error_redirect_says_what_to_do_next() -> None:
    url = "http://localhost:8763/callback?error=server_error&state=expected-state-value"
    with pytest.raises(AuthorizationFailed) as caught:
        code_from_redirect(pending(), url, company="acme-2")
    assert caught.value.hint is not None
    assert "wait a few minutes, then run `uku-xero auth -c acme-2` again" in caught.value.hint
