"""`status`, `orgs`, `companies` and `disconnect` against the emulator over loopback HTTP."""

from __future__ import annotations

import io
import socket
import stat
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.connected import connect_company, point_at, refreshes, stored
from uku_xero_cli.cli.output import Output
from uku_xero_cli.redact import fingerprint
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import load_settings
from uku_xero_cli.tokens import TokenStore

Cli = Callable[..., CliResult]


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def damage_token_file(company: str) -> None:
    TokenStore(load_settings()).path(company).write_text("[token\nrefresh_token = ")


def document(result: CliResult) -> dict[str, Any]:
    data = result.json()
    assert isinstance(data, dict)
    return data


# -- status ----------------------------------------------------------------------------------


def test_status_of_a_connected_company_checks_live_and_exits_0(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    result = cli("status", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert "connected" in result.stdout and f"{record.tenant_name} (" in result.stdout
    assert "Kadri Tamm <kadri@example.com>" in result.stdout
    assert "57 of Xero's 60 days left" in result.stdout
    assert "accounting.invoices" in result.stdout  # the granted scopes are listed
    assert sandbox.log.count("GET", "/connections") == 1


def test_status_json_follows_the_contract(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    record = connect_company(sandbox)
    result = cli("status", "-c", "acme", "--json")
    assert result.exit_code == 0
    data = document(result)
    assert data["state"] == "connected" and data["checked_live"] is True
    assert data["organisation"] == {
        "tenant_id": record.tenant_id,
        "name": record.tenant_name,
        "connection_id": record.connection_id,
    }
    assert data["refresh_token"]["days_left"] == pytest.approx(57, abs=0.1)
    assert data["refresh_token"]["age_days"] == pytest.approx(3, abs=0.1)
    assert data["access_token"]["expires_at"] == record.expires_at.isoformat()
    assert 1700 < data["access_token"]["seconds_left"] <= 1800
    assert data["scopes"] == list(record.scopes)
    assert all(f["ok"] for f in data["features"])
    assert "error" not in data


def test_status_offline_sends_nothing(cli: Cli, xero: RunningServer, sandbox: Sandbox) -> None:
    connect_company(sandbox, expires_in=0)
    result = cli("status", "-c", "acme", "--offline", "--json")
    assert result.exit_code == 0
    assert document(result)["checked_live"] is False
    assert len(sandbox.log) == 0


def test_status_refreshes_an_expired_token_and_saves_the_rotation(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    before = connect_company(sandbox, expires_in=0)
    assert cli("status", "-c", "acme").exit_code == 0
    assert refreshes(sandbox) == [200]
    assert stored().refresh_token != before.refresh_token


def test_status_shows_the_last_reload_and_invoices_awaiting_payment(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    from uku_xero_cli.store import UpsertCounts, open_company_store

    connect_company(sandbox)
    with open_company_store(load_settings(), "acme") as store:
        run = store.start_sync_run("contacts")
        store.finish_sync_run(run, outcome="ok", counts=UpsertCounts(new=7), fetched=7)
    data = document(cli("status", "-c", "acme", "--json"))
    assert data["last_reload"]["contacts"]["new"] == 7
    assert data["last_reload"]["contacts"]["outcome"] == "ok"
    assert data["awaiting_payment"] == {"count": 0, "due_by_currency": {}}
    human = cli("status", "-c", "acme", "--offline")
    assert "Last reload" in human.stdout and "contacts" in human.stdout
    assert "Invoices awaiting payment: 0" in human.stdout


def test_status_of_an_unknown_company_is_not_connected_exit_3(
    cli: Cli, xero: RunningServer
) -> None:
    # A name with neither a token file nor a store is no company at all (issue 11): the
    # error says so, exit code 3 as for any company without a connection.
    result = cli("status", "-c", "nobody", "--json")
    assert result.exit_code == 3
    assert document(result)["error"]["code"] == "unknown_company"


def test_missing_invoice_scope_says_push_invoice_cannot_work(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, scopes="offline_access openid accounting.contacts accounting.settings")
    human = cli("status", "-c", "acme")
    assert human.exit_code == 0
    assert "push-invoice" in human.stdout and "accounting.invoices" in human.stdout
    features = {
        f["feature"]: f for f in document(cli("status", "-c", "acme", "--json"))["features"]
    }
    assert features["push-invoice"]["ok"] is False
    assert features["push-invoice"]["missing_scopes"] == ["accounting.invoices"]
    assert features["push-invoice"]["blocks"] == ["push-invoice"]
    assert features["check-paid"]["blocks"] == ["check-paid"]
    assert features["reload clients"]["ok"] is True
    assert features["reload clients"]["blocks"] == []
    # The human table says which commands stop.
    assert "commands stopped" in human.stdout and "reload --only invoices" in human.stdout


def test_broad_transactions_scope_of_older_apps_covers_invoices(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(
        sandbox,
        scopes="offline_access accounting.transactions accounting.contacts accounting.settings",
    )
    data = document(cli("status", "-c", "acme", "--json"))
    assert all(f["ok"] for f in data["features"])


def test_invalid_grant_exits_4_and_status_then_shows_why(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, expires_in=0)
    sandbox.state.refresh_tokens[record.refresh_token or ""].revoked = True
    result = cli("status", "-c", "acme")
    assert result.exit_code == 4
    assert "run `uku-xero auth -c acme`" in result.stderr
    offline = cli("status", "-c", "acme", "--offline", "--json")
    assert offline.exit_code == 4
    data = document(offline)
    assert data["state"] == "needs_reauth"
    assert "invalid_grant" in str(data["reason"])
    assert data["error"]["code"] == "reauth_required"
    assert stored().refresh_token == record.refresh_token


def test_a_connection_removed_inside_xero_is_detected_exit_4(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    control.disconnect(sandbox, record.connection_id or "")
    result = cli("status", "-c", "acme", "--json")
    assert result.exit_code == 4
    assert "no longer connected" in str(document(result)["reason"])
    assert stored().needs_reauth


def test_a_403_from_the_api_marks_the_company_for_reauthorization(
    xero: RunningServer, sandbox: Sandbox
) -> None:
    from uku_xero_cli.errors import ReauthorizationRequired
    from uku_xero_cli.xero.client import XeroClient

    record = connect_company(sandbox)
    control.disconnect(sandbox, record.tenant_id or "")
    with XeroClient(load_settings(), "acme") as client, pytest.raises(ReauthorizationRequired):
        client.get("Organisation")
    assert sandbox.log.last("GET", "/api.xro/2.0/Organisation").status == 403
    assert stored().needs_reauth


def test_network_failure_during_refresh_is_exit_1_and_keeps_the_refresh_token(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = connect_company(sandbox, expires_in=0)
    monkeypatch.setenv("UKU_XERO_TOKEN_URL", f"{closed_port_url()}/connect/token")
    result = cli("status", "-c", "acme", "--json")
    assert result.exit_code == 1
    assert document(result)["error"]["code"] == "network"
    after = stored()
    assert after.refresh_token == record.refresh_token and not after.needs_reauth


def test_no_token_in_any_output_even_verbose(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, expires_in=0)  # forces a refresh, so new tokens pass through
    outputs = [
        cli("status", "-c", "acme", "--verbose"),
        cli("status", "-c", "acme", "--verbose", "--json"),
        cli("orgs", "-c", "acme", "--verbose", "--json"),
        cli("companies", "--json"),
    ]
    record = stored()
    assert all(o.exit_code == 0 for o in outputs)
    for output in outputs:
        text = output.stdout + output.stderr
        assert record.access_token and record.access_token not in text
        assert record.refresh_token and record.refresh_token not in text
    assert fingerprint(record.access_token or "") in outputs[0].stdout
    sandbox.state.refresh_tokens[record.refresh_token or ""].revoked = True
    control.expire_access_tokens(sandbox)
    failing = cli("status", "-c", "acme", "--verbose")
    assert failing.exit_code == 4
    assert (record.refresh_token or "-") not in failing.stdout + failing.stderr
    fingerprints = document(outputs[1])["fingerprints"]
    assert fingerprints == {
        "access_token": fingerprint(record.access_token or ""),
        "refresh_token": fingerprint(record.refresh_token or ""),
    }


def test_a_token_file_others_can_read_is_tightened_with_a_warning(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    path = TokenStore(load_settings()).path("acme")
    path.chmod(0o644)
    result = cli("status", "-c", "acme", "--offline")
    assert result.exit_code == 0
    assert "readable by other users" in result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_status_all_covers_every_company_and_exits_with_the_worst(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme")
    TokenStore(load_settings()).save(stored("acme").cleared().__class__(company="beta"))
    result = cli("status", "--all", "--json")
    assert result.exit_code == 3
    data = document(result)
    states = {c["company"]: c["state"] for c in data["companies"]}
    assert states == {"acme": "connected", "beta": "not_connected"}
    assert "beta" in data["error"]["message"]


# -- orgs --------------------------------------------------------------------------------------


def test_orgs_lists_every_organisation_with_the_current_marked(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    data = document(cli("orgs", "-c", "acme", "--json"))
    orgs = data["organisations"]
    assert {o["tenant_name"] for o in orgs} == {o.name for o in sandbox.state.orgs.values()}
    assert [o["tenant_id"] for o in orgs if o["current"]] == [record.tenant_id]
    human = cli("orgs", "-c", "acme")
    assert human.exit_code == 0 and "ORGANISATION" in human.stdout


def test_orgs_use_switches_the_organisation(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    other = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[1]]
    result = cli("orgs", "-c", "acme", "--use", other.name)
    assert result.exit_code == 0, result.stderr
    assert f"now uses {other.name}" in result.stdout
    after = stored()
    assert after.tenant_id == other.tenant_id
    assert after.connection_id in sandbox.state.connections


def test_orgs_use_moves_a_company_whose_organisation_was_disconnected_in_xero(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, expires_in=0)  # the listing refreshes the token too
    control.disconnect(sandbox, record.connection_id or "")
    gone = cli("status", "-c", "acme")
    assert gone.exit_code == 4
    assert "orgs -c acme --use" in gone.stderr
    listing = cli("orgs", "-c", "acme", "--json")
    assert listing.exit_code == 0, listing.stderr
    data = document(listing)
    assert data["current_tenant_id"] == record.tenant_id
    assert not any(o["current"] for o in data["organisations"])
    assert stored().needs_reauth  # listing alone changes nothing
    other = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[1]]
    switched = cli("orgs", "-c", "acme", "--use", other.name)
    assert switched.exit_code == 0, switched.stderr
    after = stored()
    assert after.tenant_id == other.tenant_id and not after.needs_reauth
    assert after.refresh_token != record.refresh_token  # the rotation was kept
    assert cli("status", "-c", "acme").exit_code == 0
    assert refreshes(sandbox) == [200]


def test_orgs_of_a_company_whose_token_xero_refused_is_exit_4(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    TokenStore(load_settings()).mark_needs_reauth("acme", "Xero refused the refresh token")
    other = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[1]]
    result = cli("orgs", "-c", "acme", "--use", other.name)
    assert result.exit_code == 4
    assert stored().tenant_id == record.tenant_id and len(sandbox.log) == 0


def test_orgs_use_unknown_is_exit_2_and_changes_nothing(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    result = cli("orgs", "-c", "acme", "--use", "Nope Ltd", "--json")
    assert result.exit_code == 2
    assert document(result)["error"]["code"] == "usage"
    assert stored().tenant_id == record.tenant_id


def test_orgs_select_asks_on_a_terminal(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_company(sandbox)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO("2\n"))
    result = cli("orgs", "-c", "acme", "--select")
    assert result.exit_code == 0, result.stderr
    # Listed by name, so the second is the second by name whatever Xero's order.
    listed = sorted(sandbox.state.orgs.values(), key=lambda org: org.name.casefold())
    assert stored().tenant_id == listed[1].tenant_id


def test_orgs_select_with_no_answer_changes_nothing_exit_2(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = connect_company(sandbox)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # Ctrl-D at the prompt
    result = cli("orgs", "-c", "acme", "--select")
    assert result.exit_code == 2
    assert "no answer: nothing was changed" in result.stderr
    assert "unexpected" not in result.stderr
    assert stored().tenant_id == record.tenant_id


def test_orgs_select_without_a_terminal_is_exit_2(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("orgs", "-c", "acme", "--select")
    assert result.exit_code == 2 and "--use" in result.stderr


def test_orgs_of_an_unconnected_company_is_exit_3(cli: Cli, xero: RunningServer) -> None:
    assert cli("orgs", "-c", "nobody").exit_code == 3


# -- companies -------------------------------------------------------------------------------


def test_companies_lists_each_with_its_organisation_and_state(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    acme = connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    TokenStore(load_settings()).mark_needs_reauth("beta", "Xero refused the refresh token")
    result = cli("companies", "--json")
    assert result.exit_code == 0
    rows = {c["company"]: c for c in document(result)["companies"]}
    assert rows["acme"]["state"] == "connected"
    assert rows["acme"]["organisation"]["tenant_id"] == acme.tenant_id
    assert rows["beta"]["state"] == "needs_reauth"
    assert rows["beta"]["reason"] == "Xero refused the refresh token"
    human = cli("companies")
    assert "acme" in human.stdout and "needs reauth" in human.stdout
    assert len(sandbox.log) == 0  # local files only


def test_a_damaged_token_file_is_listed_as_needing_reauthorization(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    damage_token_file("beta")
    listed = cli("companies", "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = {c["company"]: c for c in document(listed)["companies"]}
    assert rows["acme"]["state"] == "connected"
    assert rows["beta"]["state"] == "needs_reauth"
    assert rows["beta"]["reason"] == "token file damaged"
    assert "token file damaged" in cli("companies").stdout
    every = cli("status", "--all", "--json")
    assert every.exit_code == 4
    states = {c["company"]: (c["state"], c["reason"]) for c in document(every)["companies"]}
    assert states == {"acme": ("connected", None), "beta": ("needs_reauth", "token file damaged")}
    human = cli("status", "-c", "beta")
    assert human.exit_code == 4
    assert "token file damaged" in human.stdout and "uku-xero auth -c beta" in human.stderr


def test_companies_marks_the_company_named_with_company_as_current(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_company(sandbox, "acme")
    connect_company(sandbox, "beta", org_index=1)
    monkeypatch.setenv("UKU_XERO_COMPANY", "acme")
    result = cli("companies", "-c", "beta", "--json")
    assert result.exit_code == 0, result.stderr
    marks = {c["company"]: (c["default"], c["current"]) for c in document(result)["companies"]}
    assert marks == {"acme": (True, False), "beta": (False, True)}
    human = cli("companies", "--company", "beta")
    assert "acme (default)" in human.stdout and "beta (current)" in human.stdout
    unknown = cli("companies", "-c", "gamma")
    assert unknown.exit_code == 0 and "uku-xero auth -c gamma" in unknown.stderr
    assert cli("companies", "-c", "../etc").exit_code == 2


def test_companies_with_none_configured(cli: Cli) -> None:
    result = cli("companies")
    assert result.exit_code == 0 and "No companies yet" in result.stdout


# -- disconnect ------------------------------------------------------------------------------


def test_disconnect_removes_the_connection_revokes_and_keeps_the_store(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    from uku_xero_cli.store import open_company_store

    record = connect_company(sandbox)
    settings = load_settings()
    with open_company_store(settings, "acme") as store:
        kept = store.path
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["connection"] == "removed" and data["refresh_token"] == "revoked"
    assert data["confirmed_at_xero"] is True
    assert record.connection_id not in sandbox.state.connections
    assert sandbox.log.last("DELETE", "/connections/").status == 204
    assert sandbox.state.refresh_tokens[record.refresh_token or ""].revoked
    assert kept.exists() and data["store_kept"] == str(settings.company_data_dir("acme"))
    after = stored()
    assert after.tenant_id is None and after.refresh_token is None
    assert cli("status", "-c", "acme").exit_code == 3


def test_disconnect_without_yes_off_a_terminal_changes_nothing(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    result = cli("disconnect", "-c", "acme")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert record.connection_id in sandbox.state.connections
    assert stored().connected


def test_disconnect_confirms_on_a_terminal(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = connect_company(sandbox)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    result = cli("disconnect", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert "Disconnect company 'acme'" in result.stderr
    assert record.connection_id not in sandbox.state.connections


def test_disconnect_with_no_answer_changes_nothing_exit_2(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = connect_company(sandbox)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # Ctrl-D at the question
    result = cli("disconnect", "-c", "acme")
    assert result.exit_code == 2
    assert "Disconnect company 'acme'" in result.stderr
    assert "error: no answer: nothing was changed" in result.stderr
    assert record.connection_id in sandbox.state.connections
    assert stored().connected and len(sandbox.log) == 0


def test_disconnect_while_xero_is_unreachable_still_clears_locally(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial

    from uku_xero_cli.xero import retry

    # The client retries an unreachable Xero with backoff: counted here instead of slept.
    waits: list[float] = []
    monkeypatch.setattr(retry, "RetryPolicy", partial(retry.RetryPolicy, sleep=waits.append))
    record = connect_company(sandbox)
    dead = closed_port_url()
    monkeypatch.setenv("UKU_XERO_CONNECTIONS_URL", f"{dead}/connections")
    monkeypatch.setenv("UKU_XERO_REVOKE_URL", f"{dead}/connect/revocation")
    result = cli("disconnect", "-c", "acme", "--yes")
    assert result.exit_code == 0, result.stderr
    # It did try again before giving up: /connections (the client's policy) and the
    # revocation (the identity client's policy of 3 tries).
    assert len(waits) == (retry.RetryPolicy().attempts - 1) + (3 - 1)
    assert "NOT confirmed at Xero" in result.stdout
    assert "could not confirm" in result.stderr
    assert not stored().connected
    assert record.connection_id in sandbox.state.connections  # Xero never heard of it


def test_disconnect_after_the_token_was_revoked_still_clears(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox, expires_in=0)
    sandbox.state.refresh_tokens[record.refresh_token or ""].revoked = True
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["confirmed_at_xero"] is False and data["notes"]
    assert not stored().connected


def test_disconnect_keeps_a_sign_in_another_company_still_uses(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    beta = connect_company(sandbox, "beta", org_index=1)
    # One Xero user connected both: revoking acme's token would remove beta's connection too.
    connect_company(sandbox, "acme", org_index=0)
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["connection"] == "removed" and data["refresh_token"] == "kept"
    assert beta.connection_id in sandbox.state.connections
    assert cli("status", "-c", "beta").exit_code == 0


def test_disconnect_revokes_a_sign_in_no_other_company_uses(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    # Revoking removes every connection of the token's Xero user (xero-node 4.10.1), so only
    # a company connected by another user is left alone by it.
    acme = connect_company(sandbox, "acme", org_index=0)
    alex = control.add_user(sandbox, "Alex", "Other")
    beta = connect_company(sandbox, "beta", org_index=1, user=alex.email)
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert document(result)["refresh_token"] == "revoked"
    assert sandbox.state.refresh_tokens[acme.refresh_token or ""].revoked
    assert beta.connection_id in sandbox.state.connections
    assert cli("status", "-c", "beta").exit_code == 0


def test_disconnect_clears_a_damaged_token_file_locally(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    damage_token_file("acme")
    result = cli("disconnect", "-c", "acme", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = document(result)
    assert data["local_tokens_cleared"] is True and data["confirmed_at_xero"] is False
    assert "damaged" in data["notes"][0] and "Connected apps" in data["notes"][0]
    assert not stored().connected  # the file reads again
    assert len(sandbox.log) == 0  # without tokens there is nothing to send
    assert record.connection_id in sandbox.state.connections
    assert cli("status", "-c", "acme").exit_code == 3
    assert document(cli("companies", "--json"))["companies"][0]["state"] == "not_connected"


def test_disconnect_of_an_unconnected_company_is_exit_3(cli: Cli, xero: RunningServer) -> None:
    assert cli("disconnect", "-c", "nobody", "--yes").exit_code == 3


def test_after_a_403_from_the_api_orgs_use_recovers_without_a_new_sign_in(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    from uku_xero_cli.errors import ReauthorizationRequired
    from uku_xero_cli.xero.client import XeroClient

    record = connect_company(sandbox)
    control.disconnect(sandbox, record.connection_id or "")
    with XeroClient(load_settings(), "acme") as client, pytest.raises(ReauthorizationRequired):
        client.get("Organisation")
    assert stored().needs_reauth
    other = sandbox.state.orgs[sandbox.state.default_user().tenant_ids[1]]
    switched = cli("orgs", "-c", "acme", "--use", other.tenant_id)
    assert switched.exit_code == 0, switched.stderr
    assert not stored().needs_reauth
    assert cli("status", "-c", "acme").exit_code == 0


def test_orgs_shows_whole_tenant_ids_on_a_narrow_terminal(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--use` takes a tenant id: a support engineer copies it from this table."""
    connect_company(sandbox)
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("orgs", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    for tenant_id in sandbox.state.default_user().tenant_ids:
        assert tenant_id in result.stdout


def test_orgs_lists_type_and_when_each_organisation_was_connected(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("orgs", "-c", "acme")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("ORGANISATION") == len(sandbox.state.orgs)
    connected = next(iter(sandbox.state.connections.values())).created
    assert connected.strftime("%Y-%m-%d %H:%M UTC") in result.stdout
    data = document(cli("orgs", "-c", "acme", "--json"))
    assert {o["tenant_type"] for o in data["organisations"]} == {"ORGANISATION"}
    assert all(o["created"] and o["updated"] for o in data["organisations"])
