"""The push job against the strict emulator: what is sent, how often, and that no invoice is
ever created twice (timeouts, crashes, reruns)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.invoice_helpers import (
    API,
    COMPANY,
    client_for,
    invoice,
    invoices,
    load_reference,
    org,
    point_at,
    ready,
    settings,
    store,
    store_path,
    xero_invoices,
)
from uku_xero_cli.cli.exit_codes import exit_code_for
from uku_xero_cli.errors import InvoicesRejected, NetworkError, PartialFailure
from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.store import ClientInput, Store
from uku_xero_cli.sync.push.file import parse_documents
from uku_xero_cli.sync.push.invoice import InvoiceDocument
from uku_xero_cli.sync.push.job import PushOptions, push_invoices
from uku_xero_cli.sync.push.report import PushReport
from uku_xero_cli.xero.client import XeroClient
from uku_xero_cli.xero.retry import RetryPolicy


def push(
    sandbox: Sandbox,
    *bodies: dict[str, Any],
    client: XeroClient | None = None,
    db: Store | None = None,
    **options: Any,
) -> PushReport:
    found = parse_documents([InvoiceDocument("inv.json", json.dumps(list(bodies)).encode())])
    own = client is None
    api = client or client_for(sandbox)
    try:
        return push_invoices(
            settings(), COMPANY, found, PushOptions(**options), client=api, store=db
        )
    finally:
        if own:
            api.close()


def sent(sandbox: Sandbox, method: str, path: str) -> list[Any]:
    return sandbox.log.entries(method, API + path)


@pytest.fixture
def xero(sandbox: Sandbox) -> Sandbox:
    """The emulator with a connected company whose reference data is imported."""
    ready(sandbox)
    return sandbox


def active_contact(sandbox: Sandbox, *, with_email: bool = False) -> dict[str, Any]:
    data = org(sandbox).data
    assert data is not None
    for contact in data.contacts.values():
        if contact.get("ContactStatus") == "ACTIVE" and (
            not with_email or contact.get("EmailAddress")
        ):
            return contact
    raise AssertionError("no active contact in the emulator")


# -- one invoice, many invoices ---------------------------------------------------------------


def test_one_invoice_is_created_with_exactly_the_json_xero_needs(xero: Sandbox) -> None:
    report = push(xero, invoice(lines=[{**invoice()["lines"][0], "unit_price": "12.3456"}]))
    [result] = report.results
    assert result.result == "created" and report.error is None
    [request] = sent(xero, "PUT", "/Invoices")
    assert request.query == {"summarizeErrors": ["false"], "unitdp": ["4"]}
    key = request.header("Idempotency-Key")
    assert key and len(key) <= 128
    [body] = request.body["Invoices"]
    contact_id = body["Contact"]["ContactID"]
    assert body == {
        "Type": "ACCREC",
        "InvoiceNumber": "UKU-2026-0001",
        "Contact": {"ContactID": contact_id},
        "Date": "2026-11-01",
        "DueDate": "2026-11-15",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": "GBP",
        "Reference": "November bookkeeping",
        "LineItems": [
            {
                "Description": "Monthly bookkeeping",
                "Quantity": 1,
                "UnitAmount": 12.3456,
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
                "DiscountRate": 0,
            }
        ],
    }
    [stored] = xero_invoices(xero, "UKU-2026-0001")
    assert stored["LineItems"][0]["UnitAmount"] == Decimal("12.3456")
    assert result.total == stored["Total"] == Decimal("14.82")
    assert result.invoice_id == stored["InvoiceID"] and result.status == "AUTHORISED"
    with store() as db:
        record = db.push_record("UKU-2026-0001")
        assert record is not None and record.push_state == "pushed"
        assert record.invoice_id == stored["InvoiceID"] and record.idempotency_key == key
        assert record.invoice_number == "UKU-2026-0001" and record.content_hash


def test_a_client_without_a_contact_gets_one_created_with_an_idempotency_key(
    xero: Sandbox,
) -> None:
    report = push(xero, invoice())
    [request] = sent(xero, "PUT", "/Contacts")
    assert request.header("Idempotency-Key")
    assert request.body == {
        "Contacts": [
            {
                "Name": "Brand New Client Ltd",
                "ContactNumber": "C-1",
                "EmailAddress": "ap@brand-new.example",
                "CompanyNumber": "99887766",
                "TaxNumber": "GB999888777",
            }
        ]
    }
    assert report.results[0].contact == "created"
    with store() as db:
        client = db.client("C-1")
        assert client is not None and client.match_method == "created_in_xero"
        assert (
            client.xero_contact_id
            == sent(xero, "PUT", "/Invoices")[0].body["Invoices"][0]["Contact"]["ContactID"]
        )
    # The next invoice of the same client goes to the same contact without asking again.
    push(xero, invoice("UKU-2026-0002"))
    assert len(sent(xero, "PUT", "/Contacts")) == 1


def contacts_named(sandbox: Sandbox, name: str) -> list[dict[str, Any]]:
    data = org(sandbox).data
    assert data is not None
    return [c for c in data.contacts.values() if c["Name"].casefold() == name.casefold()]


class DiesWhenLinking(Store):
    """A store whose process is killed after Xero created the contact, before it is linked."""

    def link_client(self, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt


def test_a_crash_between_creating_a_contact_and_linking_it_is_finished_by_a_rerun(
    xero: Sandbox,
) -> None:
    dying = DiesWhenLinking.open(store_path())
    with dying, pytest.raises(KeyboardInterrupt):
        push(xero, invoice(), db=dying)
    [created] = contacts_named(xero, "Brand New Client Ltd")
    assert xero_invoices(xero, "UKU-2026-0001") == []
    # Long enough that Xero has forgotten the Idempotency-Key: a repeated PUT is not replayed.
    xero.clock.advance(xero.config.idempotency_ttl + 60)
    xero.log.clear()
    report = push(xero, invoice())
    [result] = report.results
    assert result.result == "created", result.reasons
    assert result.contact == "found by contact number"
    assert sent(xero, "PUT", "/Contacts") == []
    [lookup] = sent(xero, "GET", "/Contacts")
    assert lookup.query["where"] == ['ContactNumber=="C-1"']
    assert contacts_named(xero, "Brand New Client Ltd") == [created]
    [body] = sent(xero, "PUT", "/Invoices")[0].body["Invoices"]
    assert body["Contact"] == {"ContactID": created["ContactID"]}
    with store() as db:
        client = db.client("C-1")
        assert client is not None and client.xero_contact_id == created["ContactID"]
        assert client.match_method == "created_in_xero"


def test_a_contact_of_the_same_name_made_in_xero_since_the_reload_is_linked(
    xero: Sandbox,
) -> None:
    with client_for(xero) as api:
        made = api.request("PUT", "Contacts", json={"Contacts": [{"Name": "Brand New Client Ltd"}]})
    contact_id = made.json()["Contacts"][0]["ContactID"]
    xero.log.clear()
    report = push(xero, invoice())
    [result] = report.results
    assert result.result == "created", result.reasons
    assert result.contact == "found by name"
    # Xero refused the new contact for its name; the one holding the name is looked up.
    assert len(sent(xero, "PUT", "/Contacts")) == 1
    [lookup] = sent(xero, "GET", "/Contacts")
    assert lookup.query["searchTerm"] == ["Brand New Client Ltd"]
    assert [c["ContactID"] for c in contacts_named(xero, "Brand New Client Ltd")] == [contact_id]
    [body] = sent(xero, "PUT", "/Invoices")[0].body["Invoices"]
    assert body["Contact"] == {"ContactID": contact_id}
    with store() as db:
        client = db.client("C-1")
        assert client is not None and client.xero_contact_id == contact_id
        assert client.match_method == "name"


def test_a_contact_of_the_same_name_marked_as_another_clients_is_not_taken(
    xero: Sandbox,
) -> None:
    other = {"Name": "Brand New Client Ltd", "ContactNumber": "C-77"}
    with client_for(xero) as api:
        api.request("PUT", "Contacts", json={"Contacts": [other]})
    report = push(xero, invoice())
    [result] = report.results
    assert result.result == "failed" and "already assigned" in result.reasons[0]
    assert len(contacts_named(xero, "Brand New Client Ltd")) == 1
    assert sent(xero, "PUT", "/Invoices") == []
    with store() as db:
        client = db.client("C-1")
        assert client is not None and client.xero_contact_id is None


def dry_run_offline(*bodies: dict[str, Any]) -> PushReport:
    """A dry run while the company cannot reach Xero (its tokens marked as refused): decided
    from the store alone. The tokens are put back afterwards."""
    from uku_xero_cli.tokens import TokenStore

    tokens = TokenStore(settings())
    record = tokens.load(COMPANY)
    assert record is not None
    tokens.mark_needs_reauth(COMPANY, "Xero refused the refresh token")
    try:
        found = parse_documents([InvoiceDocument("inv.json", json.dumps(list(bodies)).encode())])
        return push_invoices(settings(), COMPANY, found, PushOptions(dry_run=True))
    finally:
        tokens.save(record)


@pytest.mark.parametrize("connected", [True, False], ids=["connected", "offline"])
def test_a_dry_run_decides_as_the_push_when_the_name_is_another_clients_contact(
    xero: Sandbox, connected: bool
) -> None:
    # Client C-9's contact is made in Xero (and linked); C-1 bears the same name.
    first = push(xero, invoice("UKU-A", client={"id": "C-9", "name": "Shared Name Ltd"}))
    assert [r.result for r in first.results] == ["created"]
    clash = invoice("UKU-B", client={"id": "C-1", "name": "Shared Name Ltd"})
    xero.log.clear()
    dry = push(xero, clash, dry_run=True) if connected else dry_run_offline(clash)
    assert {e.method for e in xero.log.entries()} <= {"GET"}
    real = push(xero, clash)
    [would], [did] = dry.results, real.results
    assert would.result == did.result == "failed"
    [reason] = would.reasons
    assert reason in did.reasons
    assert "linked to client C-9" in reason and "another name" in reason


def test_a_dry_run_links_what_the_push_would_link_and_writes_nothing(xero: Sandbox) -> None:
    with client_for(xero) as api:
        api.request("PUT", "Contacts", json={"Contacts": [{"Name": "Brand New Client Ltd"}]})
    xero.log.clear()
    dry = push(xero, invoice(), dry_run=True)
    assert [(r.result, r.contact) for r in dry.results] == [
        ("would create", "would link (by name)")
    ]
    with store() as db:
        client = db.client("C-1")
        assert client is None or client.xero_contact_id is None
    real = push(xero, invoice())
    assert [(r.result, r.contact) for r in real.results] == [("created", "found by name")]


def test_120_invoices_go_in_three_batches(xero: Sandbox) -> None:
    report = push(xero, *invoices(120))
    assert [r.result for r in report.results] == ["created"] * 120
    batches = sent(xero, "PUT", "/Invoices")
    assert [len(b.body["Invoices"]) for b in batches] == [50, 50, 20]
    assert len({b.header("Idempotency-Key") for b in batches}) == 3
    assert len(sent(xero, "PUT", "/Contacts")) == 1  # the three clients in one request
    # Before creating, the numbers are looked up in Xero: 120 short ones fit one request.
    [lookup] = sent(xero, "GET", "/Invoices")
    assert lookup.query["InvoiceNumbers"] == [",".join(f"UKU-2026-{n:04d}" for n in range(1, 121))]
    assert report.requests == 5 == len(xero.log.entries(path_prefix=API))
    data = org(xero).data
    assert data is not None
    assert sum(1 for i in data.invoices.values() if i["InvoiceNumber"].startswith("UKU-")) == 120


def test_a_linked_client_uses_its_contact_and_creates_nothing(xero: Sandbox) -> None:
    contact = active_contact(xero, with_email=True)
    with store() as db:
        db.import_clients([ClientInput("C-9", "Known Client", email=contact["EmailAddress"])])
    load_reference(xero)  # the reload links the client to its contact
    report = push(xero, invoice(client={"id": "C-9", "name": "Known Client"}))
    assert report.results[0].contact == "linked"
    assert sent(xero, "PUT", "/Contacts") == []
    [body] = sent(xero, "PUT", "/Invoices")[0].body["Invoices"]
    assert body["Contact"] == {"ContactID": contact["ContactID"]}


def test_an_unlinked_client_is_matched_by_the_reload_rules_and_linked(xero: Sandbox) -> None:
    contact = active_contact(xero, with_email=True)
    client = {"id": "C-5", "name": "Some Other Name", "email": contact["EmailAddress"].upper()}
    report = push(xero, invoice(client=client))
    assert report.results[0].contact == "matched by email"
    assert sent(xero, "PUT", "/Contacts") == []
    assert sent(xero, "PUT", "/Invoices")[0].body["Invoices"][0]["Contact"] == {
        "ContactID": contact["ContactID"]
    }
    with store() as db:
        linked = db.client("C-5")
        assert linked is not None and linked.xero_contact_id == contact["ContactID"]
        assert linked.match_method == "email"


def test_no_create_contacts_fails_the_invoice_and_writes_nothing(xero: Sandbox) -> None:
    report = push(xero, invoice(), create_contacts=False)
    [result] = report.results
    assert result.result == "failed"
    assert "--no-create-contacts" in result.reasons[0]
    assert isinstance(report.outcome_error(), InvoicesRejected)
    # Only the lookup of its number (Xero might hold it already) was sent.
    [lookup] = xero.log.entries(path_prefix=API)
    assert lookup.method == "GET" and lookup.query["InvoiceNumbers"] == ["UKU-2026-0001"]


# -- never twice ---------------------------------------------------------------------------


def test_pushing_an_unchanged_invoice_again_is_a_no_op(xero: Sandbox) -> None:
    push(xero, invoice())
    xero.log.clear()
    # The same invoice with its amounts spelled differently is the same invoice.
    same = invoice(lines=[{**invoice()["lines"][0], "unit_price": 450, "quantity": "1.000"}])
    report = push(xero, same)
    assert report.results[0].result == "unchanged"
    assert report.results[0].total == Decimal("540.00")
    assert report.requests == 0 and xero.log.entries() == []
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1


def test_an_authorised_invoice_is_updated_until_a_payment_is_allocated(xero: Sandbox) -> None:
    push(xero, invoice())
    xero.log.clear()
    edited = push(xero, invoice(reference="A new reference"))
    [result] = edited.results
    assert result.result == "updated" and result.status == "AUTHORISED"
    assert edited.outcome_error() is None
    [update] = sent(xero, "POST", "/Invoices")
    assert update.body["Invoices"][0]["InvoiceID"] == result.invoice_id
    [read] = sent(xero, "GET", "/Invoices")  # what Xero holds, with its lines
    assert read.query["IDs"] == [result.invoice_id] and read.query["page"] == ["1"]
    [stored] = xero_invoices(xero, "UKU-2026-0001")
    assert stored["Reference"] == "A new reference"
    # Paid in part in Xero: another change is refused, naming the payment and the way out.
    accounting.record_payment(
        xero, org(xero), "UKU-2026-0001", Decimal("100.00"), date(2026, 11, 20)
    )
    xero.log.clear()
    refused = push(xero, invoice(reference="Yet another reference"))
    [result] = refused.results
    assert result.result == "refused" and result.status == "AUTHORISED"
    [reason] = result.reasons
    assert reason.startswith("changed since it was pushed, but Xero's invoice UKU-2026-0001")
    assert (
        "already has 100.00 GBP paid" in reason
        and "credit note" in reason
        and "new number" in reason
    )
    assert sent(xero, "POST", "/Invoices") == [] and sent(xero, "PUT", "/Invoices") == []
    [stored] = xero_invoices(xero, "UKU-2026-0001")
    assert stored["Reference"] == "A new reference" and stored["AmountPaid"] == Decimal("100.00")
    assert isinstance(refused.outcome_error(), InvoicesRejected)
    # The store still knows the pushed content: the edited one is still "unchanged".
    assert push(xero, invoice(reference="A new reference")).results[0].result == "unchanged"


def test_a_credit_note_allocated_in_xero_is_named_when_a_change_is_refused(
    xero: Sandbox,
) -> None:
    pushed = push(xero, invoice()).results[0]
    accounting.allocate_credit(
        xero, org(xero), pushed.invoice_id, Decimal("40.00"), date(2026, 11, 5)
    )
    [result] = push(xero, invoice(reference="changed")).results
    assert result.result == "refused"
    assert "already has 40.00 GBP credited" in result.reasons[0]


def test_a_voided_invoice_is_final_and_the_refusal_says_to_use_a_new_number(
    xero: Sandbox,
) -> None:
    pushed = push(xero, invoice()).results[0]
    accounting.set_invoice_status(xero, org(xero), pushed.invoice_id, "VOIDED")
    [result] = push(xero, invoice(reference="changed")).results
    assert result.result == "refused" and result.status == "VOIDED"
    assert (
        "is VOIDED, which is final in Xero: issue the invoice under a new number"
        in (result.reasons[0])
    )


def test_an_authorised_invoice_is_not_taken_back_to_draft(xero: Sandbox) -> None:
    push(xero, invoice())
    [result] = push(xero, invoice(), draft=True).results
    assert result.result == "refused"
    assert "does not take an approved invoice back to DRAFT" in result.reasons[0]
    assert [i["Status"] for i in xero_invoices(xero, "UKU-2026-0001")] == ["AUTHORISED"]


def test_a_draft_is_updated_in_place_and_can_then_be_issued(xero: Sandbox) -> None:
    push(xero, invoice(), draft=True)
    cheaper = invoice(lines=[{**invoice()["lines"][0], "unit_price": "400.00"}])
    report = push(xero, cheaper, draft=True)
    assert report.results[0].result == "updated"
    [update] = sent(xero, "POST", "/Invoices")
    assert update.body["Invoices"][0]["InvoiceID"] == report.results[0].invoice_id
    assert update.header("Idempotency-Key")
    [stored] = xero_invoices(xero, "UKU-2026-0001")
    assert stored["Status"] == "DRAFT" and stored["Total"] == Decimal("480.00")
    issued = push(xero, cheaper)
    assert issued.results[0].result == "updated" and issued.results[0].status == "AUTHORISED"
    assert [i["Status"] for i in xero_invoices(xero, "UKU-2026-0001")] == ["AUTHORISED"]


def test_a_partial_batch_records_the_accepted_and_reports_xeros_reasons(xero: Sandbox) -> None:
    bad_line = {**invoice()["lines"][0], "account_code": "090"}  # a bank account
    report = push(xero, invoice("UKU-1"), invoice("UKU-2", lines=[bad_line]), invoice("UKU-3"))
    assert [r.result for r in report.results] == ["created", "rejected", "created"]
    assert report.results[1].reasons == [
        "Account code '090' is not a valid code for this document."
    ]
    error = report.outcome_error()
    assert isinstance(error, PartialFailure)
    assert [(f.item, f.reasons) for f in error.failures] == [
        ("UKU-2", ["Account code '090' is not a valid code for this document."])
    ]
    assert xero_invoices(xero, "UKU-2") == []
    with store() as db:
        rejected = db.push_record("UKU-2")
        assert rejected is not None and rejected.push_state == "rejected"
    # Fixed, it goes through on the next run; the others are left alone.
    xero.log.clear()
    again = push(xero, invoice("UKU-1"), invoice("UKU-2"), invoice("UKU-3"))
    assert [r.result for r in again.results] == ["unchanged", "created", "unchanged"]
    assert [len(r.body["Invoices"]) for r in sent(xero, "PUT", "/Invoices")] == [1]


def test_all_rejected_at_xero_is_an_error_of_bad_input(xero: Sandbox) -> None:
    bad_line = {**invoice()["lines"][0], "account_code": "090"}
    report = push(xero, invoice("UKU-1", lines=[bad_line]))
    assert isinstance(report.outcome_error(), InvoicesRejected)


class ForgetfulAnswers(XeroClient):
    """A Xero whose answer to PUT /Invoices leaves out the invoices numbered in `drop`."""

    def __init__(self, *args: Any, drop: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drop = drop

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = super().request(method, url, **kwargs)
        if (method, url) != ("PUT", "Invoices"):
            return response
        body = json.loads(response.content)
        body["Invoices"] = [i for i in body["Invoices"] if i["InvoiceNumber"] not in self.drop]
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=json.dumps(body).encode(),
            request=response.request,
        )


def forgetful(sandbox: Sandbox, *numbers: str) -> ForgetfulAnswers:
    return ForgetfulAnswers(
        settings(),
        COMPANY,
        transport=httpx.WSGITransport(app=sandbox),
        retry=RetryPolicy(sleep=lambda _s: None),
        drop=set(numbers),
    )


def test_an_invoice_left_out_of_xeros_answer_is_not_a_success(xero: Sandbox) -> None:
    with forgetful(xero, "UKU-2") as api:
        report = push(xero, invoice("UKU-1"), invoice("UKU-2"), client=api)
    assert [r.result for r in report.results] == ["created", "unconfirmed"]
    error = report.outcome_error()
    assert isinstance(error, PartialFailure) and exit_code_for(error) == 6
    assert "1 of 2 invoices was not confirmed by Xero" in error.message
    assert [f.item for f in error.failures] == ["UKU-2"]
    assert error.hint is not None and "never creates a duplicate" in error.hint
    # Xero had saved it: the rerun finds it and records it, without a second invoice.
    again = push(xero, invoice("UKU-1"), invoice("UKU-2"))
    assert [r.result for r in again.results] == ["unchanged", "recovered"]
    assert again.outcome_error() is None
    assert len(xero_invoices(xero, "UKU-2")) == 1


def test_when_xero_confirms_no_invoice_the_run_is_an_error(xero: Sandbox) -> None:
    with forgetful(xero, "UKU-1", "UKU-2") as api:
        report = push(xero, invoice("UKU-1"), invoice("UKU-2"), client=api)
    assert [r.result for r in report.results] == ["unconfirmed", "unconfirmed"]
    error = report.outcome_error()
    assert isinstance(error, NetworkError) and exit_code_for(error) == 1
    assert error.message.startswith("Xero did not confirm 2 invoices")
    assert "run push-invoice again, it will not duplicate" in error.message
    assert [f.item for f in error.failures] == ["UKU-1", "UKU-2"]


def test_a_crash_between_sending_and_recording_then_a_rerun_gives_one_invoice(
    xero: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # the process dies after Xero saved the invoice

    with monkeypatch.context() as patch:
        patch.setattr(Store, "record_push_result", killed)
        with pytest.raises(KeyboardInterrupt):
            push(xero, invoice())
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1
    with store() as db:
        record = db.push_record("UKU-2026-0001")
        assert record is not None and record.push_state == "pending"
    xero.log.clear()
    report = push(xero, invoice())
    assert report.results[0].result == "recovered"
    assert sent(xero, "PUT", "/Invoices") == []
    [lookup] = sent(xero, "GET", "/Invoices")
    assert lookup.query["InvoiceNumbers"] == ["UKU-2026-0001"]
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1
    assert push(xero, invoice()).results[0].result == "unchanged"


def test_an_attempt_that_never_reached_xero_is_sent_on_the_rerun(
    xero: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.xero import client as client_module

    original = client_module.XeroClient.request

    def dies_before_sending(self: XeroClient, method: str, url: str, **kwargs: Any) -> Any:
        if method == "PUT" and url == "Invoices":
            raise KeyboardInterrupt
        return original(self, method, url, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(client_module.XeroClient, "request", dies_before_sending)
        with pytest.raises(KeyboardInterrupt):
            push(xero, invoice())
    assert xero_invoices(xero, "UKU-2026-0001") == []
    report = push(xero, invoice())
    assert report.results[0].result == "created"
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1


def _slow_client(server: RunningServer, monkeypatch: pytest.MonkeyPatch, attempts: int) -> Any:
    point_at(server, monkeypatch)
    return XeroClient(
        settings(),
        COMPANY,
        timeout=0.5,
        retry=RetryPolicy(attempts=attempts, sleep=lambda _s: None),
    )


def test_a_timeout_then_a_retry_gives_exactly_one_invoice(
    xero: Sandbox, sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Xero saves the invoices, but the answer comes after the client has given up.
    xero.faults.fail(f"{API}/Invoices", method="PUT", hang=3, process=True)
    try:
        with _slow_client(sandbox_server, monkeypatch, attempts=3) as api:
            report = push(xero, invoice(), invoice("UKU-2026-0002"), client=api)
    finally:
        xero.faults.clear()
    assert [r.result for r in report.results] == ["created", "created"]
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1
    assert len(xero_invoices(xero, "UKU-2026-0002")) == 1
    puts = _wait_for(xero, "PUT", "/Invoices", 2)
    assert len({p.header("Idempotency-Key") for p in puts}) == 1


def test_a_timeout_that_outlasts_the_retries_is_finished_by_a_rerun(
    xero: Sandbox, sandbox_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    xero.faults.fail(f"{API}/Invoices", method="PUT", hang=3, process=True)
    try:
        with _slow_client(sandbox_server, monkeypatch, attempts=1) as api:
            report = push(xero, invoice(), client=api)
    finally:
        xero.faults.clear()
    assert report.results[0].result == "unconfirmed"
    assert "run push-invoice again" in report.results[0].reasons[0]
    assert report.error is not None
    again = push(xero, invoice())
    assert again.results[0].result == "recovered"
    assert len(xero_invoices(xero, "UKU-2026-0001")) == 1


def _wait_for(sandbox: Sandbox, method: str, path: str, count: int) -> list[Any]:
    """Entries of a request held by a hang reach the log once the hang is let go."""
    import time

    deadline = time.monotonic() + 5
    while True:
        found = sent(sandbox, method, path)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_the_idempotency_key_follows_company_tenant_numbers_and_content() -> None:
    from uku_xero_cli.sync.push.payload import content_hash, idempotency_key

    [a] = parse_documents([InvoiceDocument("a", json.dumps(invoice()).encode())])
    [b] = parse_documents([InvoiceDocument("b", json.dumps(invoice(reference="x")).encode())])
    ha, hb = content_hash(a, draft=False), content_hash(b, draft=False)
    assert ha != hb and ha != content_hash(a, draft=True)
    key = idempotency_key("acme", "t-1", "PUT Invoices", [f"A\x00{ha}", f"B\x00{hb}"])
    assert key == idempotency_key("acme", "t-1", "PUT Invoices", [f"B\x00{hb}", f"A\x00{ha}"])
    assert len(key) <= 128
    others = {
        idempotency_key("other", "t-1", "PUT Invoices", [f"A\x00{ha}", f"B\x00{hb}"]),
        idempotency_key("acme", "t-2", "PUT Invoices", [f"A\x00{ha}", f"B\x00{hb}"]),
        idempotency_key("acme", "t-1", "PUT Invoices", [f"A\x00{ha}", f"B\x00{ha}"]),
        idempotency_key("acme", "t-1", "PUT Invoices", [f"A\x00{ha}"]),
    }
    assert key not in others and len(others) == 4


# -- dry run -------------------------------------------------------------------------------


def test_a_dry_run_sends_nothing_and_writes_nothing(xero: Sandbox) -> None:
    report = push(xero, *invoices(3), dry_run=True)
    # It reads what the push would read (whether Xero holds the numbers already: one GET of
    # /Invoices by number; whether a client's name is taken: a GET per new client) and sends
    # nothing that changes Xero.
    assert {e.method for e in xero.log.entries()} == {"GET"}
    assert report.requests == len(xero.log.entries()) == 4
    assert len(xero.log.entries("GET", "/api.xro/2.0/Invoices")) == 1
    assert [r.result for r in report.results] == ["would create"] * 3
    assert report.results[0].total == Decimal("540.00")  # from the imported 20% rate
    [planned] = report.planned
    assert planned.method == "PUT" and len(planned.body["Invoices"]) == 3
    assert planned.body["Invoices"][0]["Contact"] == {"Name": "Client Number 1 Ltd"}
    with store() as db:
        assert db.push_record("UKU-2026-0001") is None
        assert db.client("C-1") is None


def test_a_second_push_for_the_same_company_is_refused_while_one_runs(xero: Sandbox) -> None:
    from uku_xero_cli.errors import LockHeld
    from uku_xero_cli.locks import push_lock

    with push_lock(settings(), COMPANY), pytest.raises(LockHeld):
        push(xero, invoice())
    assert xero.log.entries() == []


def test_a_validation_error_body_carries_money_as_decimal(xero: Sandbox) -> None:
    from uku_xero_cli.errors import XeroValidationError
    from uku_xero_cli.sync.push.payload import xero_invoice
    from uku_xero_cli.xero.parse import encode_json

    bad_line = {**invoice()["lines"][0], "account_code": "090", "unit_price": "12.3456"}
    [found] = parse_documents(
        [InvoiceDocument("a", json.dumps(invoice(lines=[bad_line])).encode())]
    )
    body = xero_invoice(found, contact_id=active_contact(xero)["ContactID"], draft=False)
    with client_for(xero) as api, pytest.raises(XeroValidationError) as caught:
        # Without summarizeErrors=false Xero refuses the whole request with a 400.
        api.request(
            "PUT",
            "Invoices",
            content=encode_json({"Invoices": [body]}).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert isinstance(caught.value.body, dict)
    [element] = caught.value.body["Elements"]
    amount = element["LineItems"][0]["UnitAmount"]
    assert isinstance(amount, Decimal) and amount == Decimal("12.3456")
