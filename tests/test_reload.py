"""The reload job against the emulator in strict mode: requests, data, cursors, failures."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import small_config
from tests.connected import connect_company
from uku_xero_cli.errors import LockHeld, NetworkError, RateLimited, ReauthorizationRequired
from uku_xero_cli.sandbox import accounting
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.grants import grant_for_tests
from uku_xero_cli.settings import load_settings
from uku_xero_cli.store import ClientInput, Store, open_company_store
from uku_xero_cli.store.opening import current_store_path
from uku_xero_cli.sync.datasets import REGISTRY
from uku_xero_cli.sync.reload import (
    DATA_SETS,
    NoProgress,
    ReloadOptions,
    ReloadResult,
    load_stats,
    reload_lock,
)
from uku_xero_cli.sync.reload_companies import reload_all, reload_company
from uku_xero_cli.sync.staging import PageStaging
from uku_xero_cli.sync.stats import window_months
from uku_xero_cli.tokens import CompanyTokens, TokenStore
from uku_xero_cli.xero.pacing import PaceLimits, Pacer
from uku_xero_cli.xero.paging import Page
from uku_xero_cli.xero.retry import RetryPolicy

API = "/api.xro/2.0"
PATHS = {d.name: d.collection for d in REGISTRY}


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def reload(
    sandbox: Sandbox,
    company: str = "acme",
    *,
    retry: RetryPolicy | None = None,
    pacer: Pacer | None = None,
    progress: Any = None,
    wait: bool = False,
    **options: Any,
) -> ReloadResult:
    return reload_company(
        load_settings(),
        company,
        ReloadOptions(**options),
        wait=wait,
        progress=progress,
        transport=httpx.WSGITransport(app=sandbox),
        retry=retry or RetryPolicy(sleep=lambda _: None),
        pacer=pacer,
    )


def store(company: str = "acme") -> Store:
    return open_company_store(load_settings(), company)


def org_of(sandbox: Sandbox, index: int = 0) -> Any:
    return sandbox.state.orgs[sandbox.state.default_user().tenant_ids[index]]


def api_gets(sandbox: Sandbox, data_set: str) -> int:
    return sandbox.log.count("GET", f"{API}/{PATHS[data_set]}")


@pytest.fixture
def books(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """Someone working in Xero: the emulator's own API with a token of its own."""
    answer = grant_for_tests(sandbox)
    tenant = sandbox.state.default_user().tenant_ids[0]
    with httpx.Client(
        transport=httpx.WSGITransport(app=sandbox),
        base_url=f"http://sandbox.test{API}",
        headers={
            "Authorization": f"Bearer {answer['access_token']}",
            "xero-tenant-id": tenant,
            "Accept": "application/json",
        },
    ) as client:
        yield client


def edit_contact(books: httpx.Client, contact_id: str, **fields: str) -> None:
    answer = books.post(f"/Contacts/{contact_id}", json={"Contacts": [fields]})
    assert answer.status_code == 200, answer.text


# -- importing --------------------------------------------------------------------------------


def test_a_first_reload_imports_every_data_set(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    result = reload(sandbox)
    assert result.ok, result.error
    assert [d.name for d in result.data_sets] == list(DATA_SETS)
    data = org_of(sandbox).data
    contacts = Counter(c["ContactStatus"] for c in data.contacts.values())
    by_name = {d.name: d for d in result.data_sets}
    assert by_name["contacts"].new == contacts["ACTIVE"]
    assert by_name["contacts"].skipped_archived == contacts["ARCHIVED"]
    assert by_name["items"].new == len(data.items)
    assert by_name["tax_rates"].new == len(data.tax_rates)
    assert by_name["currencies"].new == len(data.currencies)
    with store() as db:
        assert len(db.active_contacts()) == contacts["ACTIVE"]
        assert len(db.items()) == len(data.items)
        assert {t.tax_type for t in db.tax_rates()} == set(data.tax_rates)
        # Every unmatched contact became a client marked as coming from Xero.
        assert {c.origin for c in db.list_clients()} == {"xero"}
        assert set(db.cursors()) >= {"contacts", "invoices"}


def test_a_large_organisation_takes_the_minimum_number_of_requests() -> None:
    sandbox = Sandbox(small_config(orgs=1, contacts=25_000))
    connect_company(sandbox)
    result = reload(sandbox, only=("contacts",))
    assert result.ok, result.error
    (contacts,) = result.data_sets
    assert contacts.fetched == 25_000
    assert contacts.requests == 25 == api_gets(sandbox, "contacts")
    pages = sandbox.log.entries("GET", f"{API}/Contacts")
    assert {e.query["pageSize"][0] for e in pages} == {"1000"}
    with store() as db:
        assert len(db.active_contacts()) == contacts.new


def test_a_server_that_ignores_the_page_size_is_still_imported_completely() -> None:
    sandbox = Sandbox(small_config(contacts=250, ignore_page_size=True))
    connect_company(sandbox)
    result = reload(sandbox, only=("contacts",))
    assert result.ok, result.error
    assert result.data_sets[0].fetched == 250
    assert api_gets(sandbox, "contacts") == 3  # 100 a page, whatever was asked


def test_an_unchanged_organisation_costs_one_request_per_data_set(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    assert reload(sandbox).ok
    sandbox.log.clear()
    again = reload(sandbox)
    assert again.ok, again.error
    assert [d.requests for d in again.data_sets] == [1] * len(DATA_SETS)
    assert sandbox.log.count(path_prefix=API) == len(DATA_SETS)
    assert all(d.new == d.updated == 0 for d in again.data_sets)
    incremental = {d.name for d in again.data_sets if d.incremental}
    assert incremental == set(DATA_SETS) - {"items", "tax_rates", "currencies", "accounts"}
    sent = sandbox.log.last("GET", f"{API}/Contacts")
    assert sent.header("if-modified-since") is not None
    assert sent.query["includeArchived"] == ["true"]


def test_full_ignores_the_cursors(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    assert reload(sandbox).ok
    again = reload(sandbox, full=True, only=("contacts", "items"))
    assert [d.incremental for d in again.data_sets] == [False, False]
    assert again.data_sets[0].unchanged > 0
    assert sandbox.log.last("GET", f"{API}/Items").header("if-modified-since") is None


def test_an_item_deleted_in_xero_leaves_the_store_at_the_next_reload(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    assert reload(sandbox).ok
    org = org_of(sandbox)
    gone = next(iter(org.data.items.values()))
    accounting.delete_item(sandbox, org, gone["ItemID"])
    sandbox.log.clear()
    again = reload(sandbox, only=("items",))
    assert again.ok, again.error
    # One request, as an incremental read would cost: unpaged items are read whole.
    assert api_gets(sandbox, "items") == 1
    assert sandbox.log.last("GET", f"{API}/Items").header("if-modified-since") is None
    with store() as db:
        assert gone["Code"] not in {i.code for i in db.items()}
        assert len(db.items()) == len(org.data.items)


def test_four_decimal_unit_prices_are_imported_exactly(sandbox: Sandbox) -> None:
    """Xero shows unit prices rounded to two decimals unless asked for four (unitdp=4)."""
    connect_company(sandbox)
    item = next(i for i in org_of(sandbox).data.items.values() if "UnitPrice" in i["SalesDetails"])
    item["SalesDetails"]["UnitPrice"] = Decimal("12.3456")
    assert reload(sandbox, only=("items", "invoices")).ok
    for path in ("Items", "Invoices"):
        assert sandbox.log.last("GET", f"{API}/{path}").query["unitdp"] == ["4"]
    with store() as db:
        [stored] = [i for i in db.items() if i.code == item["Code"]]
    assert stored.sales_unit_price == Decimal("12.3456")


def test_new_changed_and_archived_contacts_are_picked_up(
    sandbox: Sandbox, books: httpx.Client
) -> None:
    connect_company(sandbox)
    assert reload(sandbox).ok
    active = [c for c in org_of(sandbox).data.contacts.values() if c["ContactStatus"] == "ACTIVE"]
    renamed, archived = active[0]["ContactID"], active[1]["ContactID"]
    edit_contact(books, renamed, Name="Renamed Trading Ltd")
    edit_contact(books, archived, ContactStatus="ARCHIVED")
    created = books.put("/Contacts", json={"Contacts": [{"Name": "Brand New OÜ"}]})
    assert created.status_code == 200, created.text

    result = reload(sandbox, only=("contacts",))
    assert result.ok, result.error
    (contacts,) = result.data_sets
    assert (contacts.fetched, contacts.new, contacts.updated) == (3, 1, 2)
    with store() as db:
        assert (db.contact(renamed) or pytest.fail()).name == "Renamed Trading Ltd"
        gone = db.client_for_contact(archived)
        assert gone is not None and gone.archived and gone.contact_status == "ARCHIVED"
        assert any(c.name == "Brand New OÜ" for c in db.list_clients())


# -- matching --------------------------------------------------------------------------------


def _unique(contacts: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    counts = Counter(c.get(key) for c in contacts if c.get(key))
    return [c for c in contacts if c.get(key) and counts[c[key]] == 1]


def test_each_matching_rule_links_uku_clients_and_ambiguity_is_left_unlinked(
    sandbox: Sandbox,
) -> None:
    connect_company(sandbox)
    contacts = [c for c in org_of(sandbox).data.contacts.values() if c["ContactStatus"] == "ACTIVE"]
    by_registration = _unique(contacts, "CompanyNumber")[0]
    by_tax = next(c for c in _unique(contacts, "TaxNumber") if c is not by_registration)
    taken = {by_registration["ContactID"], by_tax["ContactID"]}
    by_email = next(
        c
        for c in _unique(contacts, "EmailAddress")
        if c["ContactID"] not in taken and not c.get("CompanyNumber") and not c.get("TaxNumber")
    )
    taken.add(by_email["ContactID"])
    plain = [
        c
        for c in contacts
        if c["ContactID"] not in taken and not c.get("CompanyNumber") and not c.get("TaxNumber")
    ]
    by_name, ambiguous = plain[0], plain[1]
    clients = [
        ClientInput(
            "U-REG", "Some Other Name", registration_number=by_registration["CompanyNumber"]
        ),
        ClientInput("U-TAX", "Another Name", vat_number=by_tax["TaxNumber"]),
        ClientInput("U-MAIL", "Third Name", email=by_email["EmailAddress"].upper()),
        ClientInput("U-NAME", f"  {by_name['Name'].upper()} "),
        ClientInput("U-AMB1", ambiguous["Name"]),
        ClientInput("U-AMB2", ambiguous["Name"].lower()),
    ]
    with store() as db:
        db.import_clients(clients)

    result = reload(sandbox, only=("contacts",))
    assert result.ok, result.error
    with store() as db:
        links = {c.id: (c.xero_contact_id, c.match_method) for c in db.list_clients()}
    assert links["U-REG"] == (by_registration["ContactID"], "registration_number")
    assert links["U-TAX"] == (by_tax["ContactID"], "tax_number")
    assert links["U-MAIL"] == (by_email["ContactID"], "email")
    assert links["U-NAME"] == (by_name["ContactID"], "name")
    assert links["U-AMB1"] == links["U-AMB2"] == (None, None)
    assert result.matching is not None
    reported = {a.contact_id for a in result.matching.ambiguities}
    assert ambiguous["ContactID"] in reported


def test_clients_imported_between_reloads_are_matched_to_contacts_that_did_not_change(
    sandbox: Sandbox,
) -> None:
    connect_company(sandbox)
    assert reload(sandbox, only=("contacts",)).ok
    contacts = [c for c in org_of(sandbox).data.contacts.values() if c["ContactStatus"] == "ACTIVE"]
    target = _unique(contacts, "EmailAddress")[0]
    with store() as db:
        db.import_clients([ClientInput("U-1", "Uku's own name", email=target["EmailAddress"])])

    again = reload(sandbox, only=("contacts",))
    assert again.ok, again.error
    assert again.data_sets[0].fetched == 0
    assert again.matching is not None
    assert [(k.contact_id, k.client_id) for k in again.matching.links] == [
        (target["ContactID"], "U-1")
    ]
    assert again.matching.kept == len(contacts) - 1
    with store() as db:
        assert (db.client("U-1") or pytest.fail()).xero_contact_id == target["ContactID"]
        assert db.client(f"xero:{target['ContactID']}") is None


def test_an_ambiguous_contact_is_reported_again_and_linked_once_its_rival_changes(
    sandbox: Sandbox, books: httpx.Client
) -> None:
    connect_company(sandbox)
    contacts = [c for c in org_of(sandbox).data.contacts.values() if c["ContactStatus"] == "ACTIVE"]
    first, rival = contacts[0], contacts[1]
    edit_contact(books, first["ContactID"], EmailAddress="ap@shared.test")
    edit_contact(books, rival["ContactID"], EmailAddress="AP@shared.test")
    # Edits made within reload's cursor margin of a reload are read again by the next one.
    sandbox.clock.advance(5)
    with store() as db:
        db.import_clients([ClientInput("U-1", "Uku's own name", email="ap@shared.test")])
    result = reload(sandbox, only=("contacts",))
    assert result.matching is not None
    claimed = {first["ContactID"], rival["ContactID"]}
    assert {a.contact_id for a in result.matching.ambiguities} == claimed

    unchanged = reload(sandbox, only=("contacts",))
    assert unchanged.matching is not None
    assert {a.contact_id for a in unchanged.matching.ambiguities} == claimed

    edit_contact(books, rival["ContactID"], EmailAddress="sales@rival.test")
    settled = reload(sandbox, only=("contacts",))
    assert settled.data_sets[0].fetched == 1
    assert settled.matching is not None and settled.matching.ambiguities == []
    assert [(k.contact_id, k.client_id) for k in settled.matching.links] == [
        (first["ContactID"], "U-1")
    ]


# -- limits, retries and failures ---------------------------------------------------------------


def test_at_a_tight_limit_pacing_never_triggers_a_429_and_keeps_the_pace() -> None:
    sandbox = Sandbox(small_config(contacts=250, minute_limit=10, minute_window=1.0))
    connect_company(sandbox)
    pacer = Pacer(PaceLimits(per_minute=10, window=1.0))
    started = time.monotonic()
    result = reload(sandbox, only=("contacts",), page_size=10, pacer=pacer)
    elapsed = time.monotonic() - started
    assert result.ok, result.error
    assert result.data_sets[0].requests == 25
    assert sandbox.log.count(status=429) == 0
    # 25 calls at 10 a second need two full windows of waiting, and not much more.
    assert 2.0 <= elapsed < 3.5


def test_pacing_slows_down_to_what_xero_says_remains() -> None:
    # Configured far above what this server allows: X-MinLimit-Remaining brings it down.
    sandbox = Sandbox(small_config(contacts=150, minute_limit=10, minute_window=1.0))
    connect_company(sandbox)
    pacer = Pacer(PaceLimits(per_minute=100, window=1.0))
    result = reload(sandbox, only=("contacts",), page_size=10, pacer=pacer)
    assert result.ok, result.error
    assert result.data_sets[0].requests == 15
    assert sandbox.log.count(status=429) == 0


def test_forced_429s_and_503s_are_retried(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    fake = FakeTime()
    sandbox.limits.force("minute", count=2, retry_after=7)
    sandbox.faults.fail(f"{API}/Items", status=503, count=2)
    retry = RetryPolicy(sleep=fake.sleep, base_delay=0.5)
    pacer = Pacer(clock=fake.clock, sleep=fake.sleep)
    result = reload(sandbox, retry=retry, pacer=pacer)
    assert result.ok, result.error
    assert sandbox.log.count(status=429) == 2
    assert sandbox.log.count("GET", f"{API}/Items", status=503) == 2
    assert fake.slept.count(7.0) == 2
    by_name = {d.name: d for d in result.data_sets}
    assert by_name["contacts"].requests == 3
    assert by_name["items"].requests == 3
    assert by_name["items"].new == len(org_of(sandbox).data.items)


def test_the_daily_limit_stops_the_reload_and_leaves_no_partial_data() -> None:
    sandbox = Sandbox(small_config(contacts=250, day_limit=2))
    connect_company(sandbox)
    result = reload(sandbox, page_size=100)
    assert isinstance(result.error, RateLimited)
    assert result.error.retry_at is not None
    assert result.error.retry_at > datetime.now(UTC)
    (contacts,) = result.data_sets
    assert (contacts.outcome, contacts.fetched) == ("failed", 200)
    with store() as db:
        assert db.active_contacts() == []
        assert db.cursor("contacts") is None
        assert db.last_runs()["contacts"].outcome == "failed"
    assert sandbox.log.count(path_prefix=f"{API}/Items") == 0


class InterruptOnPage(NoProgress):
    def __init__(self, data_set: str) -> None:
        self.data_set = data_set

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        if data_set == self.data_set:
            raise KeyboardInterrupt


def test_an_interrupted_reload_keeps_the_previous_data_and_the_rerun_completes(
    sandbox: Sandbox, books: httpx.Client
) -> None:
    connect_company(sandbox)
    assert reload(sandbox).ok
    contact = next(
        c for c in org_of(sandbox).data.contacts.values() if c["ContactStatus"] == "ACTIVE"
    )
    with store() as db:
        cursor = db.cursor("contacts")
        before = db.contact(contact["ContactID"])
    edit_contact(books, contact["ContactID"], Name="Changed While Away Ltd")

    with pytest.raises(KeyboardInterrupt):
        reload(sandbox, progress=InterruptOnPage("contacts"))
    with store() as db:
        assert db.cursor("contacts") == cursor
        assert db.contact(contact["ContactID"]) == before
        assert db.last_runs()["contacts"].outcome == "interrupted"

    rerun = reload(sandbox)
    assert rerun.ok, rerun.error
    with store() as db:
        assert (db.contact(contact["ContactID"]) or pytest.fail()).name == (
            "Changed While Away Ltd"
        )
        assert (db.cursor("contacts") or pytest.fail()) > (cursor or pytest.fail())


class EditWhileReading(NoProgress):
    """Someone edits in Xero while reload reads: after page 1, a contact on page 1, then one
    on a later page (both keep their names, so their places in the Name order)."""

    def __init__(self, books: httpx.Client, later: str) -> None:
        self.books = books
        self.later = later
        self.edited: str | None = None

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        if data_set != "contacts" or page.number != 1:
            return
        first = next(r for r in page.records if r.get("ContactStatus") == "ACTIVE")
        self.edited = first["ContactID"]
        edit_contact(self.books, first["ContactID"], EmailAddress="edited.early@example.test")
        edit_contact(self.books, self.later, EmailAddress="edited.late@example.test")


def test_an_edit_to_a_page_already_read_is_picked_up_by_the_next_reload(
    sandbox: Sandbox, books: httpx.Client
) -> None:
    connect_company(sandbox)
    by_name = sorted(org_of(sandbox).data.contacts.values(), key=lambda c: c["Name"].casefold())
    later = next(c for c in reversed(by_name) if c["ContactStatus"] == "ACTIVE")
    editor = EditWhileReading(books, later["ContactID"])
    first = reload(sandbox, only=("contacts",), page_size=20, progress=editor)
    assert first.ok, first.error
    assert first.data_sets[0].pages == 3
    assert editor.edited is not None
    with store() as db:
        assert (db.contact(later["ContactID"]) or pytest.fail()).email == (
            "edited.late@example.test"
        )

    again = reload(sandbox, only=("contacts",), page_size=20)
    assert again.ok, again.error
    with store() as db:
        assert (db.contact(editor.edited) or pytest.fail()).email == "edited.early@example.test"


class WriteWhileDownloading(NoProgress):
    """Another command writing to the store while reload is between two pages of contacts."""

    def __init__(self) -> None:
        self.wrote: bool | None = None

    def page(self, data_set: str, page: Page, fetched: int) -> None:
        if data_set != "contacts" or page.number != 1:
            return
        path = current_store_path(load_settings(), "acme")
        assert path is not None
        try:
            with Store.open(path, busy_timeout=0.2) as other:
                other.import_clients([ClientInput("U-9", "Written During Reload OÜ")])
            self.wrote = True
        except LockHeld:
            self.wrote = False


def test_other_commands_can_write_to_the_store_while_a_reload_downloads(
    sandbox: Sandbox,
) -> None:
    connect_company(sandbox)
    assert reload(sandbox, only=("items",)).ok  # the store exists with its schema
    writer = WriteWhileDownloading()
    result = reload(sandbox, only=("contacts",), page_size=20, progress=writer)
    assert result.ok, result.error
    assert writer.wrote is True
    with store() as db:
        assert (db.client("U-9") or pytest.fail()).name == "Written During Reload OÜ"
        assert len(db.active_contacts()) > 20


def test_staged_pages_come_back_in_order_with_exact_money() -> None:
    with PageStaging() as staging:
        staging.add(Page(1, [{"Total": Decimal("0.10")}], 2, 3))
        staging.add(Page(2, [{"Total": Decimal("1234567.895")}, {"Total": None}], 2, 3))
        back = list(staging.pages())
    assert back == [
        Page(1, [{"Total": Decimal("0.10")}], 2, 3),
        Page(2, [{"Total": Decimal("1234567.895")}, {"Total": None}], 2, 3),
    ]
    assert str(back[0].records[0]["Total"]) == "0.10"


def test_a_network_failure_mid_reload_keeps_the_committed_data_sets(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    sandbox.faults.fail(f"{API}/Invoices", status=500, count=5)
    result = reload(sandbox, retry=RetryPolicy(sleep=lambda _: None, attempts=3))
    assert isinstance(result.error, NetworkError)
    before = DATA_SETS.index("invoices")  # every data set read before invoices is committed
    assert [d.outcome for d in result.data_sets] == ["ok"] * before + ["failed"]
    with store() as db:
        assert db.cursor("contacts") is not None
        assert db.cursor("invoices") is None
    rerun = reload(sandbox)
    assert rerun.ok, rerun.error
    assert [d.incremental for d in rerun.data_sets][4] is False


# -- locks and many companies ------------------------------------------------------------------


def test_a_second_reload_of_the_same_company_is_refused_at_once(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    with reload_lock(load_settings(), "acme"):
        started = time.monotonic()
        result = reload(sandbox)
        assert time.monotonic() - started < 1.0
    assert isinstance(result.error, LockHeld)
    assert "already running" in str(result.error)
    assert sandbox.log.count(path_prefix=API) == 0


def test_wait_queues_behind_the_running_reload(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    held = threading.Event()

    def hold() -> None:
        with reload_lock(load_settings(), "acme"):
            held.set()
            time.sleep(0.3)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(2)
    result = reload(sandbox, wait=True, only=("currencies",))
    other.join()
    assert result.ok, result.error


def test_all_reloads_every_company_and_one_broken_company_does_not_stop_the_others(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XERO_CLIENT_ID", PUBLIC_CLIENT_ID)
    connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=1)
    broken = connect_company(sandbox, "broken", org_index=0, expires_in=-60)
    TokenStore(load_settings()).save(
        CompanyTokens(**{**broken.__dict__, "refresh_token": "revoked-long-ago"})
    )
    results = reload_all(
        load_settings(),
        ReloadOptions(only=("contacts", "currencies")),
        parallel=2,
        transport=httpx.WSGITransport(app=sandbox),
        retry=RetryPolicy(sleep=lambda _: None),
    )
    assert [r.company for r in results] == ["acme", "beta", "broken"]
    assert [r.ok for r in results] == [True, True, False]
    assert isinstance(results[2].error, ReauthorizationRequired)
    with store("beta") as db:
        assert len(db.active_contacts()) > 0


# -- statistics --------------------------------------------------------------------------------


def expected_stats(
    sandbox: Sandbox, months: list[str]
) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """Counted straight from the emulator's books: month of Date, no deleted or voided."""
    data = org_of(sandbox).data
    found: dict[tuple[str, str], tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    sources = [
        ({"ACCREC": "sales_invoices", "ACCPAY": "bills"}, data.invoices),
        ("credit_notes", data.credit_notes),
        ("bank_transactions", data.bank_transactions),
        ("manual_journals", data.manual_journals),
    ]
    for metric_of, records in sources:
        for record in records.values():
            if record.get("Status") in ("DELETED", "VOIDED"):
                continue
            ms = int(record["Date"].split("(")[1].split("+")[0].split(")")[0])
            day = datetime.fromtimestamp(ms / 1000, UTC).date()
            month = f"{day.year:04d}-{day.month:02d}"
            if month not in months:
                continue
            metric = metric_of[record["Type"]] if isinstance(metric_of, dict) else metric_of
            total = Decimal(0)
            if metric != "manual_journals":
                total = Decimal(record["Total"]) / Decimal(record.get("CurrencyRate") or 1)
            count, amount = found[(month, metric)]
            found[(month, metric)] = (count + 1, amount + total.quantize(Decimal("0.01")))
    return dict(found)


def stored_stats(months: list[str]) -> dict[tuple[str, str], tuple[int, Decimal]]:
    with store() as db:
        work = load_stats(db, months)
    return {
        (m.month, metric): (count, m.totals.get(metric, Decimal(0)))
        for m in work.months
        for metric, count in m.counts.items()
        if count
    }


def test_statistics_match_the_emulators_books_month_by_month(sandbox: Sandbox) -> None:
    connect_company(sandbox)
    result = reload(sandbox)
    assert result.ok, result.error
    months = window_months(date.today(), 12)
    expected = expected_stats(sandbox, months)
    assert expected, "the emulator should have documents in the window"
    assert stored_stats(months) == expected


def test_a_voided_invoice_leaves_its_months_statistics_on_the_next_reload(
    sandbox: Sandbox,
) -> None:
    connect_company(sandbox)
    assert reload(sandbox).ok
    org = org_of(sandbox)
    months = window_months(date.today(), 12)
    voidable = next(
        i
        for i in org.data.invoices.values()
        if i["Status"] == "AUTHORISED"
        and not i.get("Payments")
        and i["Type"] == "ACCREC"
        and datetime.fromtimestamp(int(i["Date"][6:19]) / 1000, UTC).strftime("%Y-%m") in months
    )
    accounting.set_invoice_status(sandbox, org, voidable["InvoiceID"], "VOIDED")
    again = reload(sandbox, only=("invoices",))
    assert again.ok, again.error
    assert again.data_sets[0].requests == 1
    assert stored_stats(months) == expected_stats(sandbox, months)


def test_a_longer_window_than_last_time_reads_the_dated_data_sets_whole(
    sandbox: Sandbox,
) -> None:
    connect_company(sandbox)
    assert reload(sandbox, months=6).ok
    shorter = reload(sandbox, months=3, only=("invoices",))
    longer = reload(sandbox, months=18, only=("invoices", "manual_journals"))
    assert shorter.data_sets[0].incremental is True
    assert [d.incremental for d in longer.data_sets] == [False, False]
    assert longer.data_sets[0].new > 0  # the older months were never read before
    where = sandbox.log.last("GET", f"{API}/Invoices").query["where"][0]
    assert where.startswith("Date>=DateTime(")


class _Timeline:
    """A progress hook per company noting when its first data set started and its last ended."""

    def __init__(self) -> None:
        self.spans: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def progress_for(self, company: str) -> Any:
        timeline = self

        class Noting:
            def started(self, data_set: str) -> None:
                with timeline._lock:
                    timeline.spans.setdefault(company, [time.monotonic(), 0.0])

            def page(self, data_set: str, page: Page, fetched: int) -> None:
                pass

            def finished(self, result: Any) -> None:
                with timeline._lock:
                    timeline.spans[company][1] = time.monotonic()

        return Noting()


class _SlowXero(httpx.BaseTransport):
    """The emulator with a round trip of `delay` seconds, as over a real network."""

    def __init__(self, sandbox: Sandbox, delay: float) -> None:
        self._inner = httpx.WSGITransport(app=sandbox)
        self._delay = delay

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self._delay)
        return self._inner.handle_request(request)


@pytest.mark.parametrize("parallel", [1, 2])
def test_parallel_reloads_companies_at_the_same_time_and_the_default_one_after_another(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, parallel: int
) -> None:
    monkeypatch.setenv("XERO_CLIENT_ID", PUBLIC_CLIENT_ID)
    connect_company(sandbox, "acme", org_index=0)
    connect_company(sandbox, "beta", org_index=1)
    timeline = _Timeline()
    extra: dict[str, Any] = {"parallel": parallel} if parallel > 1 else {}
    results = reload_all(
        load_settings(),
        ReloadOptions(only=("contacts", "items", "currencies")),
        progress_for=timeline.progress_for,
        transport=_SlowXero(sandbox, 0.03),
        retry=RetryPolicy(sleep=lambda _: None),
        **extra,
    )
    assert [r.ok for r in results] == [True, True]
    (a_start, a_end), (b_start, b_end) = timeline.spans["acme"], timeline.spans["beta"]
    assert a_end > a_start and b_end > b_start
    overlap = min(a_end, b_end) - max(a_start, b_start)
    if parallel == 2:
        # Each reload takes at least three slow round trips; side by side, they share most.
        assert overlap > 0.03, timeline.spans
    else:
        assert a_end <= b_start, timeline.spans
