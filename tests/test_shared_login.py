"""Many companies, one Xero login: who shares what, and a disconnect that ends only what
belongs to the company alone (`--everywhere` ends the rest, after naming who is cut off).

Over loopback HTTP against the emulator, which keeps one connection per app, user and
organisation and removes all of a user's connections when one of their tokens is revoked.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, document, point_at, stored
from uku_xero_cli.cli.output import Output
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def flat(text: str) -> str:
    return " ".join(text.split())


def forget_user(company: str) -> CompanyTokens:
    """The token file as an uku-xero from before the Xero user was recorded wrote it."""
    record = replace(stored(company), user_id=None)
    TokenStore(load_settings()).save(record)
    return record


def other_login_not_on_file(sandbox: Sandbox, org_index: int) -> None:
    """acme connected by the emulator's first user, beta by another one whose token file does
    not record who (as an earlier uku-xero wrote it)."""
    connect_company(sandbox, "acme", org_index=0)
    alex = control.add_user(sandbox, "Alex", "Other")
    connect_company(sandbox, "beta", org_index=org_index, user=alex.email)
    forget_user("beta")


def still_works(cli: Cli, company: str) -> None:
    status = cli("status", "-c", company)
    assert status.exit_code == 0, status.stderr
    reload = cli("reload", "-c", company, "--only", "contacts,items")
    assert reload.exit_code == 0, reload.stderr


def revoked(sandbox: Sandbox, record: CompanyTokens) -> bool:
    return sandbox.state.refresh_tokens[record.refresh_token or ""].revoked


# -- who shares what -------------------------------------------------------------------------


def test_companies_and_status_name_who_shares_the_login_and_the_connection(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    acme = connect_company(sandbox, "acme", org_index=0)
    beta = connect_company(sandbox, "beta", org_index=0)
    gamma = connect_company(sandbox, "gamma", org_index=1)
    alex = control.add_user(sandbox, "Alex", "Other")
    connect_company(sandbox, "delta", org_index=0, user=alex.email)
    assert acme.connection_id == beta.connection_id != gamma.connection_id

    rows = {c["company"]: c for c in document(cli("companies", "--json"))["companies"]}
    assert rows["acme"]["sharing"] == {
        "xero_user_id": acme.user_id,
        "same_connection": ["beta"],
        "same_xero_user": ["beta", "gamma"],
        "possibly_same_xero_user": [],
    }
    assert rows["gamma"]["sharing"]["same_connection"] == []
    assert rows["delta"]["sharing"] == {
        "xero_user_id": alex.user_id,
        "same_connection": [],
        "same_xero_user": [],
        "possibly_same_xero_user": [],
    }
    human = flat(cli("companies").stdout)
    assert "beta (same Xero user and connection), gamma (same Xero user)" in human

    status = cli("status", "-c", "beta", "--json")
    assert status.exit_code == 0, status.stderr
    assert document(status)["sharing"]["same_connection"] == ["acme"]
    text = flat(cli("status", "-c", "gamma", "--offline").stdout)
    assert "shared with acme (same Xero user), beta (same Xero user)" in text


def test_a_token_file_without_the_xero_user_is_possibly_shared(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    other_login_not_on_file(sandbox, org_index=1)
    rows = {c["company"]: c for c in document(cli("companies", "--json"))["companies"]}
    assert rows["acme"]["sharing"]["possibly_same_xero_user"] == ["beta"]
    assert rows["beta"]["sharing"]["xero_user_id"] is None
    assert rows["beta"]["sharing"]["possibly_same_xero_user"] == ["acme"]
    assert "beta (possibly the same Xero user: not on file)" in flat(cli("companies").stdout)


# -- disconnect ends only what is the company's alone ------------------------------------------


@pytest.mark.parametrize("leaving", ["acme", "beta"])
def test_two_companies_one_user_one_organisation_disconnect_either_the_other_keeps_working(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, leaving: str
) -> None:
    records = {name: connect_company(sandbox, name, org_index=0) for name in ("acme", "beta")}
    staying = "beta" if leaving == "acme" else "acme"
    result = cli("disconnect", "-c", leaving, "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["connection"] == "kept" and data["refresh_token"] == "kept"
    assert data["confirmed_at_xero"] is True and data["cut_off"] == []
    kept = {item["what"]: item for item in data["left_in_place"]}
    assert set(kept) == {"connection", "refresh_token"}
    assert kept["connection"]["companies"] == [staying]
    assert kept["refresh_token"]["companies"] == [staying]
    assert f"'{staying}' uses it too" in kept["connection"]["reason"]
    assert "same Xero user" in kept["refresh_token"]["reason"]
    # Nothing at all was asked of Xero, and its connection and tokens are as they were.
    assert sandbox.log.count(path_prefix="/connections") == 0
    assert sandbox.log.count(path_prefix="/connect/revocation") == 0
    assert records[leaving].connection_id in sandbox.state.connections
    assert not revoked(sandbox, records[leaving])
    assert not stored(leaving).connected
    still_works(cli, staying)


def test_disconnect_says_in_words_what_it_left_in_place_and_why(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=0)
    result = cli("disconnect", "-c", "acme", "--yes")
    assert result.exit_code == 0, result.stderr
    out, err = flat(result.stdout), flat(result.stderr)
    assert "connection left in place at Xero: also used by 'beta'" in out
    assert "refresh token not revoked: it would also cut off 'beta'" in out
    assert "Left in place: the connection to Uku Demo Ltd, because 'beta' uses it too" in err
    assert "Left in place: the refresh token, because the same Xero user connected 'beta'" in err
    assert "`uku-xero disconnect -c acme --everywhere` ends them at Xero anyway" in err


def test_two_companies_one_user_two_organisations_disconnect_removes_only_its_connection(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    acme = connect_company(sandbox, "acme", org_index=0)
    beta = connect_company(sandbox, "beta", org_index=1)
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["connection"] == "removed" and data["refresh_token"] == "kept"
    assert [(i["what"], i["companies"]) for i in data["left_in_place"]] == [
        ("refresh_token", ["beta"])
    ]
    assert acme.connection_id not in sandbox.state.connections
    assert beta.connection_id in sandbox.state.connections
    assert not revoked(sandbox, acme)
    still_works(cli, "beta")
    # Once beta is alone, its own disconnect ends everything at Xero.
    last = document(cli("disconnect", "-c", "beta", "--yes", "--json"))
    assert (last["connection"], last["refresh_token"], last["left_in_place"]) == (
        "removed",
        "revoked",
        [],
    )
    assert not sandbox.state.connections_for(PUBLIC_CLIENT_ID, acme.user_id or "")


def test_a_company_whose_xero_user_is_not_on_file_keeps_the_token_and_says_why(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    acme = connect_company(sandbox, "acme", org_index=0)
    alex = control.add_user(sandbox, "Alex", "Other")
    connect_company(sandbox, "beta", org_index=1, user=alex.email)
    forget_user("acme")
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["connection"] == "removed" and data["refresh_token"] == "kept"
    (kept,) = data["left_in_place"]
    assert kept["companies"] == ["beta"]
    assert "the Xero user of 'acme' is not on file" in kept["reason"]
    assert not revoked(sandbox, acme)
    still_works(cli, "beta")


# -- --everywhere --------------------------------------------------------------------------------


def test_everywhere_names_who_is_cut_off_first_then_cuts_both(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    acme = connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=0)
    gamma = connect_company(sandbox, "gamma", org_index=1)
    result = cli("disconnect", "-c", "acme", "--everywhere", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: --everywhere ends the Xero sign-in of company 'acme' at Xero: 'beta' and "
        "'gamma' (connected by the same Xero user) will need `uku-xero auth -c NAME` again"
    ) in flat(result.stderr)
    data = document(result)
    assert data["everywhere"] is True and data["left_in_place"] == []
    assert (data["connection"], data["refresh_token"]) == ("removed", "revoked")
    assert data["cut_off"] == ["beta", "gamma"]
    assert revoked(sandbox, acme)
    assert acme.user_id is not None
    assert not sandbox.state.connections_for(PUBLIC_CLIENT_ID, acme.user_id)
    # Told at once, without asking Xero: both need a new sign-in.
    rows = {c["company"]: c for c in document(cli("companies", "--json"))["companies"]}
    assert rows["beta"]["state"] == rows["gamma"]["state"] == "needs_reauth"
    assert "--everywhere" in rows["beta"]["reason"]
    for name in ("beta", "gamma"):
        assert cli("status", "-c", name).exit_code == 4
        assert cli("reload", "-c", name).exit_code == 4
    assert gamma.connection_id not in sandbox.state.connections


def test_everywhere_asks_on_a_terminal_after_naming_the_companies(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=0)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    result = cli("disconnect", "-c", "acme", "--everywhere")
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert err.index("'beta' (connected by the same Xero user)") < err.index(
        "Disconnect company 'acme' from Uku Demo Ltd and cut off the companies above?"
    )
    assert "Nothing was changed." in err
    assert len(sandbox.log) == 0 and stored("acme").connected
    assert not revoked(sandbox, acme)


def test_everywhere_without_a_terminal_needs_yes(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=0)
    result = cli("disconnect", "-c", "acme", "--everywhere")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert "'beta'" in result.stderr  # still said who would have been cut off
    assert stored("acme").connected and len(sandbox.log) == 0


def test_everywhere_counts_a_company_without_its_xero_user_as_possibly_cut_off(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    other_login_not_on_file(sandbox, org_index=0)
    result = cli("disconnect", "-c", "acme", "--everywhere", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert "'beta' may too (their Xero user is not on file)" in flat(result.stderr)
    data = document(result)
    assert data["cut_off"] == [] and data["possibly_cut_off"] == ["beta"]
    # beta was another user after all: Xero left it alone, and so did the local side.
    still_works(cli, "beta")
