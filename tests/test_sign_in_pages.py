"""The pages a person sees during a sign-in: ours at the end, and the emulator's consent and
error pages. Each must work on a phone (viewport), name its language, say in its title how
the sign-in ended, escape everything it quotes, and load nothing from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from uku_xero_cli.errors import AuthorizationFailed, StateMismatch
from uku_xero_cli.oauth import pages
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID

VIEWPORT = "width=device-width, initial-scale=1"
# Attributes that make a browser fetch or run something.
FETCHING = {"src", "href", "action", "srcset", "poster", "data", "formaction"}


class Parsed(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_title = False
        self.title = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        else:
            self.text.append(data)

    def attr(self, tag: str, name: str) -> list[str | None]:
        return [attrs.get(name) for t, attrs in self.tags if t == tag]


def assert_a_page_for_people(text: str, *, own_form_action: str | None = None) -> Parsed:
    page = Parsed(text)
    assert page.attr("html", "lang") == ["en"]
    viewports = [
        a.get("content") for t, a in page.tags if t == "meta" and a.get("name") == "viewport"
    ]
    assert viewports == [VIEWPORT]
    assert page.title.strip()
    assert all(tag != "script" for tag, _ in page.tags), "no scripts"
    for tag, attrs in page.tags:
        for name in FETCHING & attrs.keys():
            value = attrs[name] or ""
            # Only the emulator's own form posts, to a path on the same server.
            assert tag == "form" and value == own_form_action, f"<{tag} {name}={value!r}>"
        refresh = attrs.get("content") if attrs.get("http-equiv") == "refresh" else None
        if refresh is not None:
            assert re.fullmatch(r"\d+; url=/[^/:]\S*", refresh), refresh  # same server only
    assert "@import" not in text and "url(" not in text  # the style loads nothing
    return page


ERROR = AuthorizationFailed(
    'Xero did not authorize: server_error (<img src=x onerror="alert(1)">) & more',
    hint="run `uku-xero auth -c acme` again <b>soon</b>",
)
EVERY_PAGE = {
    "connected": pages.connected("Connected company 'acme' to Acme <Ltd> & Co."),
    "not connected": pages.not_connected(ERROR),
    "finishing": pages.finishing("Choose the organisation in the terminal.", "/callback/outcome/x"),
    "not this sign-in": pages.not_this_sign_in(StateMismatch("not this sign-in", hint="use <it>")),
    "already finished": pages.already_finished(),
    "not found": pages.not_found(),
}


@pytest.mark.parametrize("outcome", list(EVERY_PAGE))
def test_every_page_of_ours_is_for_people_and_loads_nothing(outcome: str) -> None:
    assert_a_page_for_people(EVERY_PAGE[outcome].html().decode())


def test_each_outcome_has_a_title_of_its_own() -> None:
    titles = [Parsed(page.html().decode()).title for page in EVERY_PAGE.values()]
    assert len(set(titles)) == len(titles)
    assert Parsed(EVERY_PAGE["connected"].html().decode()).title == "Connected · uku-xero"
    assert Parsed(EVERY_PAGE["not connected"].html().decode()).title == "Not connected · uku-xero"


def test_what_a_page_quotes_is_escaped_and_reads_as_written() -> None:
    page = assert_a_page_for_people(EVERY_PAGE["not connected"].html().decode())
    assert [tag for tag, _ in page.tags if tag in ("img", "b")] == []
    shown = " ".join(page.text)
    assert ERROR.message in shown and str(ERROR.hint) in shown
    connected = Parsed(EVERY_PAGE["connected"].html().decode())
    assert "Connected company 'acme' to Acme <Ltd> & Co." in " ".join(connected.text)


def test_the_failure_page_and_the_success_page_differ_in_status() -> None:
    assert EVERY_PAGE["connected"].status == 200
    assert EVERY_PAGE["not connected"].status == 400
    assert EVERY_PAGE["not found"].status == 404


# -- the emulator's pages --------------------------------------------------------------------


def authorize(client: httpx.Client, **extra: str) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": PUBLIC_CLIENT_ID,
        "redirect_uri": "http://localhost:8763/callback",
        "scope": "offline_access openid accounting.contacts",
        "state": "s" * 20,
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
        **extra,
    }
    return client.get("/identity/connect/authorize", params=params)


def test_the_emulators_consent_page_is_for_people_and_escapes_names(
    sandbox: Sandbox, sandbox_client: httpx.Client
) -> None:
    sandbox.config.consent = "page"
    org = next(iter(sandbox.state.orgs.values()))
    org.name = "<img src=x onerror=alert(1)> & Sons"
    answer = authorize(sandbox_client)
    assert answer.status_code == 200
    page = assert_a_page_for_people(answer.text, own_form_action="/identity/connect/authorize")
    assert "<img src=x onerror=alert(1)> & Sons" in "".join(page.text)
    assert "img" not in [tag for tag, _ in page.tags]


def test_the_emulators_error_page_is_for_people(sandbox_client: httpx.Client) -> None:
    answer = authorize(sandbox_client, client_id="NOT-A-CLIENT")
    assert answer.status_code == 400
    page = assert_a_page_for_people(answer.text)
    assert "unauthorized_client : Unknown client or client not enabled" in "".join(page.text)
