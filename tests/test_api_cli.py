"""`uku-xero api` over loopback HTTP to the emulator: Xero's answer as it came, through the one
client (token, tenant, pacing, retries), with the exit codes of the README's table."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, small_config
from tests.connected import connect_company, point_at, refreshes, stored
from uku_xero_cli.cli.app import main
from uku_xero_cli.cli.output import Output
from uku_xero_cli.cli.surroundings import Surroundings
from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.data import OrgData
from uku_xero_cli.sandbox.server import RunningServer, serve_in_thread

Cli = Callable[..., CliResult]
API = "/api.xro/2.0"


@pytest.fixture
def xero(sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    point_at(sandbox_server, monkeypatch)
    return sandbox_server


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Sandbox]]:
    """Serves an emulator configured for one test and points uku-xero at it."""
    servers: list[RunningServer] = []

    def serve(**config: Any) -> Sandbox:
        sandbox = Sandbox(small_config(**config))
        servers.append(serve_in_thread(sandbox))
        point_at(servers[-1], monkeypatch)
        return sandbox

    yield serve
    for server in servers:
        server.stop()


def books(sandbox: Sandbox) -> OrgData:
    tenant = sandbox.state.default_user().tenant_ids[0]
    data = sandbox.state.orgs[tenant].data
    assert data is not None
    return data


def body(result: CliResult) -> Any:
    """stdout as one JSON document, amounts as Decimal."""
    assert result.stdout.count("\n") == 1, "off a terminal the document is one line"
    return json.loads(result.stdout, parse_float=Decimal)


def a_sale_invoice(sandbox: Sandbox, reference: str) -> dict[str, Any]:
    contact = next(c for c in books(sandbox).contacts.values() if c["ContactStatus"] == "ACTIVE")
    return {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact["ContactID"]},
                "Date": "2026-11-01",
                "DueDate": "2026-11-15",
                "Status": "AUTHORISED",
                "Reference": reference,
                "LineItems": [
                    {
                        "Description": "Monthly bookkeeping",
                        "Quantity": 1,
                        "UnitAmount": Decimal("450.00"),
                        "AccountCode": "200",
                        "TaxType": "OUTPUT2",
                    }
                ],
            }
        ]
    }


def write_json(tmp_path: Path, name: str, value: Any) -> str:
    from uku_xero_cli.xero.parse import encode_json

    path = tmp_path / name
    path.write_text(encode_json(value), encoding="utf-8")
    return str(path)


def invoices_with_reference(sandbox: Sandbox, reference: str) -> list[dict[str, Any]]:
    return [i for i in books(sandbox).invoices.values() if i.get("Reference") == reference]


# -- reading ------------------------------------------------------------------------------------


def test_get_one_invoice_by_number_prints_xeros_body(
    cli: Cli, emulator: Callable[..., Sandbox]
) -> None:
    # Xero takes an invoice number where its spec says InvoiceID: strict mode would refuse.
    sandbox = emulator(strict=False)
    connect_company(sandbox)
    invoice = next(i for i in books(sandbox).invoices.values() if i["Type"] == "ACCREC")
    number = invoice["InvoiceNumber"]

    result = cli("api", "-c", "acme", f"Invoices/{number}")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    [shown] = body(result)["Invoices"]
    assert shown["InvoiceID"] == invoice["InvoiceID"]
    assert shown["InvoiceNumber"] == number
    assert shown["LineItems"], "one invoice by number carries its lines"
    assert isinstance(shown["Total"], Decimal | int)
    [request] = sandbox.log.entries("GET", f"{API}/Invoices/")
    assert request.header("xero-tenant-id") == stored().tenant_id
    # The same path written with Xero's root, and with a leading slash.
    again = cli("api", "-c", "acme", f"/api.xro/2.0/Invoices/{number}")
    assert body(again)["Invoices"][0]["InvoiceID"] == invoice["InvoiceID"]


def test_a_where_filter_in_the_path_reaches_xero_as_written(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    archived = {
        c["ContactID"] for c in books(sandbox).contacts.values() if c["ContactStatus"] == "ARCHIVED"
    }
    assert archived

    result = cli(
        "api",
        "-c",
        "acme",
        'Contacts?where=ContactStatus=="ARCHIVED"',
        "-f",
        "includeArchived=true",
    )

    assert result.exit_code == 0, result.stderr
    assert {c["ContactID"] for c in body(result)["Contacts"]} == archived
    [request] = sandbox.log.entries("GET", f"{API}/Contacts")
    assert request.query["where"] == ['ContactStatus=="ARCHIVED"']
    assert request.query["includeArchived"] == ["true"]


def test_paginate_merges_2500_contacts_from_three_pages_of_1000(
    cli: Cli, emulator: Callable[..., Sandbox]
) -> None:
    sandbox = emulator(contacts=2500, invoices=10)
    connect_company(sandbox)
    everyone = set(books(sandbox).contacts)
    assert len(everyone) == 2500

    result = cli(
        "api", "-c", "acme", "Contacts", "-f", "includeArchived=true", "--paginate",
        "--page-size", "1000",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    document = body(result)
    ids = [c["ContactID"] for c in document["Contacts"]]
    assert len(ids) == 2500 and set(ids) == everyone  # each contact once
    assert "pagination" not in document  # it described one page, not the merged list
    requests = sandbox.log.entries("GET", f"{API}/Contacts")
    assert [(r.query["page"], r.query["pageSize"]) for r in requests] == [
        (["1"], ["1000"]),
        (["2"], ["1000"]),
        (["3"], ["1000"]),
    ]


def test_paginate_over_a_list_xero_does_not_page_asks_once(
    cli: Cli, emulator: Callable[..., Sandbox]
) -> None:
    sandbox = emulator(strict=False)  # `page` is not in the spec of GET /Items
    connect_company(sandbox)
    result = cli("api", "-c", "acme", "Items", "--paginate")
    assert result.exit_code == 0, result.stderr
    assert len(body(result)["Items"]) == len(books(sandbox).items)
    assert sandbox.log.count("GET", f"{API}/Items") == 1


def test_a_page_that_fails_ends_the_walk_with_xeros_answer_to_it(
    cli: Cli, emulator: Callable[..., Sandbox]
) -> None:
    sandbox = emulator(contacts=150, day_limit=1)  # page 2 meets the daily limit
    connect_company(sandbox)
    result = cli("api", "-c", "acme", "Contacts", "--paginate", "--page-size", "100")
    assert result.exit_code == 5
    assert body(result)["Status"] == 429  # not a merged list that looks whole
    assert [e.status for e in sandbox.log.entries("GET", f"{API}/Contacts")] == [200, 429]


def test_include_adds_the_status_and_headers_with_the_rate_limit_headroom(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("api", "-c", "acme", "Currencies", "-i")
    assert result.exit_code == 0, result.stderr
    document = body(result)
    assert document["status"] == 200
    assert int(document["headers"]["X-MinLimit-Remaining"]) > 0
    assert int(document["headers"]["X-DayLimit-Remaining"]) > 0
    assert document["body"]["Currencies"]


def test_identity_reads_the_connections_the_token_reaches(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    result = cli("api", "-c", "acme", "--identity", "connections")
    assert result.exit_code == 0, result.stderr
    connections = body(result)
    assert record.tenant_id in {c["tenantId"] for c in connections}
    [request] = sandbox.log.entries("GET", "/connections")
    assert request.header("xero-tenant-id") is None


def test_a_minute_limit_429_is_waited_out_as_retry_after_says(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.limits.force("minute", count=1, retry_after=1)
    started = time.monotonic()
    result = cli("api", "-c", "acme", "Currencies")
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started >= 1.0
    assert [e.status for e in sandbox.log.entries("GET", f"{API}/Currencies")] == [429, 200]
    assert body(result)["Currencies"]


def test_the_daily_limit_prints_xeros_answer_and_exits_5(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    sandbox.limits.force("day", count=1, retry_after=3 * 3600)
    result = cli("api", "-c", "acme", "Currencies", "--include")
    assert result.exit_code == 5
    document = body(result)
    assert document["status"] == 429
    assert document["headers"]["X-Rate-Limit-Problem"] == "day"
    assert "daily request limit" in result.stderr and "in 3 h 0 min" in result.stderr
    assert sandbox.log.count("GET", f"{API}/Currencies") == 1  # not waited for hours


def test_an_error_answer_is_printed_and_exits_1(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    missing = "00000000-0000-0000-0000-000000000000"
    result = cli("api", "-c", "acme", f"Invoices/{missing}")
    assert result.exit_code == 1
    # Xero's own answer on stdout, whether it comes as JSON or (as Xero sends it) as text.
    assert "The resource you're looking for cannot be found" in result.stdout
    assert f"error: Xero has no GET /api.xro/2.0/Invoices/{missing}" in result.stderr
    assert sandbox.log.last("GET").status == 404


def test_a_refused_token_exits_4_and_marks_the_company(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    record = connect_company(sandbox)
    assert record.tenant_id is not None
    control.revoke_org(sandbox, record.tenant_id)

    result = cli("api", "-c", "acme", "Organisation")

    assert result.exit_code == 4
    assert body(result)["Status"] == 401  # Xero's own answer to the call
    assert "run `uku-xero auth -c acme`" in result.stderr
    assert refreshes(sandbox) == [400]  # the refresh was tried once, and refused
    assert stored().needs_reauth


def test_an_expired_token_is_refreshed_before_the_call(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox, expires_in=0)
    control.expire_access_tokens(sandbox)
    result = cli("api", "-c", "acme", "Organisation")
    assert result.exit_code == 0, result.stderr
    assert refreshes(sandbox) == [200]
    assert sandbox.log.entries("GET", f"{API}/Organisation")[-1].status == 200


# -- writing ------------------------------------------------------------------------------------


def test_a_put_with_yes_carries_an_idempotency_key_and_its_replay_gets_the_first_answer(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    connect_company(sandbox)
    file = write_json(tmp_path, "invoice.json", a_sale_invoice(sandbox, "api put"))
    args = ["api", "-c", "acme", "-X", "PUT", "Invoices", "--input", file, "--yes"]

    first = cli(*args, "--idempotency-key", "uku-api-test-1")
    again = cli(*args, "--idempotency-key", "uku-api-test-1")

    assert first.exit_code == 0, first.stderr
    assert again.exit_code == 0, again.stderr
    created = body(first)["Invoices"][0]
    assert body(again)["Invoices"][0]["InvoiceID"] == created["InvoiceID"]
    assert len(invoices_with_reference(sandbox, "api put")) == 1
    puts = sandbox.log.entries("PUT", f"{API}/Invoices")
    assert [p.header("Idempotency-Key") for p in puts] == ["uku-api-test-1"] * 2
    assert all(p.header("content-type") == "application/json" for p in puts)

    # Without --idempotency-key each run gets a key of its own: a second write is made.
    third = cli(*args)
    assert third.exit_code == 0, third.stderr
    keys = [p.header("Idempotency-Key") for p in sandbox.log.entries("PUT", f"{API}/Invoices")]
    assert keys[2] and keys[2] != "uku-api-test-1"
    assert len(invoices_with_reference(sandbox, "api put")) == 2


def test_a_write_xero_kept_failing_names_the_key_to_send_it_again_with(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from uku_xero_cli.xero.retry import RetryPolicy

    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt: 0.0)  # no real waits
    connect_company(sandbox)
    sandbox.faults.fail(f"{API}/Invoices", status=503, count=5, method="PUT")
    file = write_json(tmp_path, "invoice.json", a_sale_invoice(sandbox, "unlucky"))

    result = cli("api", "-c", "acme", "-X", "PUT", "Invoices", "--input", file, "--yes")

    assert result.exit_code == 1
    keys = {e.header("Idempotency-Key") for e in sandbox.log.entries("PUT", f"{API}/Invoices")}
    assert len(keys) == 1  # every retry carried the same key
    assert f"--idempotency-key {keys.pop()}" in result.stderr
    assert invoices_with_reference(sandbox, "unlucky") == []


def test_a_write_reads_its_body_from_standard_input_and_a_relative_file_from_the_runs_directory(
    xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    from uku_xero_cli.xero.parse import encode_json

    connect_company(sandbox)
    folder = tmp_path / "work"
    folder.mkdir()
    write_json(folder, "invoice.json", a_sale_invoice(sandbox, "from a file"))
    piped = encode_json(a_sale_invoice(sandbox, "from stdin"))
    for name, stdin in (("invoice.json", ""), ("-", piped)):
        around = Surroundings(
            dict(os.environ), folder, io.StringIO(stdin), io.StringIO(), io.StringIO()
        )
        args = ["api", "-c", "acme", "-X", "PUT", "Invoices", "--input", name, "--yes"]
        assert main(args, around) == 0, around.stderr.getvalue()
    assert len(invoices_with_reference(sandbox, "from a file")) == 1
    assert len(invoices_with_reference(sandbox, "from stdin")) == 1


def test_a_write_off_a_terminal_without_yes_sends_nothing_and_exits_2(
    cli: Cli, xero: RunningServer, sandbox: Sandbox
) -> None:
    connect_company(sandbox)
    result = cli("api", "-c", "acme", "-X", "DELETE", "Items/BOOK")
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert len(sandbox.log) == 0


def test_a_write_at_a_terminal_is_sent_only_when_confirmed(
    cli: Cli,
    xero: RunningServer,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connect_company(sandbox)
    monkeypatch.setattr(Output, "interactive", property(lambda self: True))
    file = write_json(tmp_path, "invoice.json", a_sale_invoice(sandbox, "asked"))
    args = ["api", "-c", "acme", "-X", "PUT", "Invoices", "--input", file]

    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    declined = cli(*args)
    assert declined.exit_code == 1
    assert "Send PUT Invoices to " in declined.stderr and "Nothing was sent." in declined.stderr
    assert len(sandbox.log) == 0

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    accepted = cli(*args)
    assert accepted.exit_code == 0, accepted.stderr
    assert len(invoices_with_reference(sandbox, "asked")) == 1


def test_a_dry_run_prints_the_request_with_the_token_masked_and_sends_nothing(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    record = connect_company(sandbox, expires_in=0)  # due for a refresh: not done either
    invoice = a_sale_invoice(sandbox, "dry")
    invoice["Invoices"][0]["LineItems"][0]["UnitAmount"] = Decimal("1234567890.123456789")
    file = write_json(tmp_path, "invoice.json", invoice)

    result = cli(
        "api", "-c", "acme", "-X", "PUT", "Invoices", "--input", file, "-f", "unitdp=4",
        "--idempotency-key", "k-1", "--dry-run",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert len(sandbox.log) == 0
    planned = body(result)
    assert planned["method"] == "PUT"
    assert planned["url"] == f"{os.environ['UKU_XERO_API_URL']}/Invoices?unitdp=4"
    assert planned["headers"]["Authorization"] == "Bearer ***"
    assert planned["headers"]["xero-tenant-id"] == record.tenant_id
    assert planned["headers"]["Idempotency-Key"] == "k-1"
    assert planned["body"]["Invoices"][0]["Reference"] == "dry"
    assert '"UnitAmount":1234567890.123456789' in result.stdout  # exact, never a float
    assert record.access_token not in result.stdout + result.stderr
    assert "nothing was sent" in result.stderr


# -- refused before anything is sent ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["https://evil.example/api.xro/2.0/Invoices"], "refusing to send the company's token"),
        (["Invoices", "-H", "Authorization: Bearer mine"], "-H Authorization"),
        (["Invoices", "-H", "xero-tenant-id: other"], "-H xero-tenant-id"),
        (["Invoices", "-X", "PATCH"], "-X PATCH"),
        (["Invoices", "-f", "nokey"], "key=value"),
        (["Invoices", "--page-size", "10"], "--page-size goes with --paginate"),
        (["Invoices?page=2", "--paginate"], "leave out page="),
        (["Invoices", "--paginate", "--page-size", "5000"], "1-1000"),
        (["Invoices/../../connections"], "climb out"),
        (["Invoices", "--idempotency-key", "k"], "keys are for writes"),
        (["Invoices", "--input", "missing.json"], "--input missing.json: cannot read"),
    ],
)
def test_a_request_that_cannot_be_sent_is_refused_with_exit_2(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, args: list[str], says: str
) -> None:
    connect_company(sandbox)
    result = cli("api", "-c", "acme", *args)
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr
    assert result.stdout == ""
    assert len(sandbox.log) == 0


def test_a_body_that_is_not_json_is_refused_before_anything_is_sent(
    cli: Cli, xero: RunningServer, sandbox: Sandbox, tmp_path: Path
) -> None:
    connect_company(sandbox)
    file = tmp_path / "bad.json"
    file.write_text('{"Invoices": [', encoding="utf-8")
    result = cli("api", "-c", "acme", "-X", "PUT", "Invoices", "--input", str(file), "--yes")
    assert result.exit_code == 2
    assert f"--input {file}: the body is not JSON" in result.stderr
    assert len(sandbox.log) == 0


def test_a_company_that_is_not_connected_exits_3(cli: Cli) -> None:
    from uku_xero_cli.settings import load_settings
    from uku_xero_cli.tokens import CompanyTokens, TokenStore

    result = cli("api", "-c", "ghost", "Organisation")
    assert result.exit_code == 3
    assert "no company 'ghost'" in result.stderr
    TokenStore(load_settings()).save(CompanyTokens(company="ghost").cleared())
    result = cli("api", "-c", "ghost", "Organisation")
    assert result.exit_code == 3
    assert "not connected" in result.stderr


# -- at a terminal ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
def test_at_a_terminal_the_body_is_indented_and_coloured_unless_no_color(
    xero: RunningServer, sandbox: Sandbox, tmp_path: Path, no_color: bool
) -> None:
    connect_company(sandbox)
    environ = dict(os.environ, TERM="xterm-256color")
    if no_color:
        environ["NO_COLOR"] = "1"
    around = Surroundings(environ, tmp_path, io.StringIO(""), Terminal(), io.StringIO())
    assert main(["api", "-c", "acme", "Currencies"], around) == 0
    shown = around.stdout.getvalue()
    assert ("\x1b[" in shown) is not no_color
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert plain.startswith('{\n  "Id": ')
    assert '\n  "Currencies": [\n    {\n' in plain
    assert json.loads(plain)["Currencies"]
