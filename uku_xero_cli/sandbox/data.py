"""Seeded, deterministic organisations and their accounting data.

The same `config.seed` gives the same organisations, ids, names and amounts. Dates are
generated as offsets from `sandbox.clock.now()` at build time, so with a fixed clock the
whole world is byte-for-byte the same.

Records are plain dicts in the shape Xero's JSON has (money as Decimal). Keys starting with
"_" are the emulator's own (e.g. `_updated`, milliseconds of UpdatedDateUTC) and never sent.
"""

from __future__ import annotations

import gc
import random
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.config import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
)
from uku_xero_cli.sandbox.state import AppClient, Organisation, User

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.books.replay import KeptAnswer

Record = dict[str, Any]
# Given names of the generated Xero logins, in order; the first signs in by default.
USER_NAMES = ("Sam", "Alex", "Kai", "Robin", "Mari")
COLLECTIONS = (
    "accounts",
    "tax_rates",
    "currencies",
    "contacts",
    "items",
    "invoices",
    "payments",
    "credit_notes",
    "bank_transactions",
    "manual_journals",
)


@dataclass
class OrgData:
    """One organisation's books. Collections map a record's id to the record, in creation
    order; read-modify-write happens under `sandbox.state.lock`, and every change calls
    `changed()` so cached query results are dropped."""

    organisation: Record = field(default_factory=dict)
    accounts: dict[str, Record] = field(default_factory=dict)  # AccountID →
    tax_rates: dict[str, Record] = field(default_factory=dict)  # TaxType →
    currencies: dict[str, Record] = field(default_factory=dict)  # Code →
    contacts: dict[str, Record] = field(default_factory=dict)  # ContactID →
    items: dict[str, Record] = field(default_factory=dict)  # ItemID →
    invoices: dict[str, Record] = field(default_factory=dict)  # InvoiceID →
    payments: dict[str, Record] = field(default_factory=dict)  # PaymentID →
    credit_notes: dict[str, Record] = field(default_factory=dict)  # CreditNoteID →
    bank_transactions: dict[str, Record] = field(default_factory=dict)  # BankTransactionID →
    manual_journals: dict[str, Record] = field(default_factory=dict)  # ManualJournalID →
    # Casefolded name of each ACTIVE contact → ContactID (Xero keeps those names unique).
    contact_names: dict[str, str] = field(default_factory=dict)
    # Casefolded InvoiceNumber of each sales invoice → InvoiceID.
    invoice_numbers: dict[str, str] = field(default_factory=dict)
    next_invoice_number: int = 1
    next_credit_note_number: int = 1
    revision: int = 0
    # (app, method, path, Idempotency-Key) → the first answer; see books.replay.
    replays: dict[tuple[str, ...], KeptAnswer] = field(default_factory=dict)
    # Filtered and ordered query results, valid for one `revision`; see books.listing.
    query_cache: OrderedDict[tuple[Any, ...], list[Record]] = field(default_factory=OrderedDict)

    def record_counts(self) -> dict[str, int]:
        """How many records each collection holds (for summaries such as the admin API's)."""
        return {name: len(getattr(self, name)) for name in COLLECTIONS}

    def changed(self) -> None:
        self.revision += 1
        self.query_cache.clear()

    def account_by_code(self, code: str) -> Record | None:
        wanted = code.strip().casefold()
        for account in self.accounts.values():
            if account["Code"].casefold() == wanted:
                return account
        return None

    def item_by_code(self, code: str) -> Record | None:
        wanted = code.strip().casefold()
        for item in self.items.values():
            if item["Code"].casefold() == wanted:
                return item
        return None

    def tax_rate(self, tax_type: str | None) -> Decimal:
        found = self.tax_rates.get(tax_type or "")
        return Decimal(found["EffectiveRate"]) if found else Decimal("0")

    def index_contact(self, contact: Record, old_name: str | None = None) -> None:
        if (
            old_name is not None
            and self.contact_names.get(old_name.casefold()) == contact["ContactID"]
        ):
            del self.contact_names[old_name.casefold()]
        if contact.get("ContactStatus", "ACTIVE") == "ACTIVE":
            self.contact_names[contact["Name"].casefold()] = contact["ContactID"]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_world(sandbox: Sandbox) -> None:
    config = sandbox.config
    state = sandbox.state
    rng = random.Random(config.seed)
    names = [("Uku Demo Ltd", "GBP", "GB"), ("Uku Demo OÜ", "EUR", "EE")]
    for index in range(config.orgs):
        name, currency, country = names[index % len(names)]
        if index >= len(names):
            name = f"{name} {index + 1}"
        tenant_id = _uuid(rng)
        state.orgs[tenant_id] = Organisation(
            tenant_id=tenant_id,
            name=name,
            base_currency=currency,
            country_code=country,
            short_code=f"!{rng.randrange(16**5):05x}",
            data=OrgData(),
        )
    for index in range(max(1, config.users)):
        given = USER_NAMES[index % len(USER_NAMES)]
        if index >= len(USER_NAMES):
            given = f"{given}{index + 1}"
        user = User(
            user_id=_uuid(rng),
            name=f"{given} Sandbox",
            given_name=given,
            family_name="Sandbox",
            email=f"{given.lower()}@sandbox.uku.example",
            tenant_ids=list(state.orgs),
        )
        state.users[user.user_id] = user
    uris = set(config.redirect_uris)
    state.clients[PUBLIC_CLIENT_ID] = AppClient(PUBLIC_CLIENT_ID, None, uris)
    state.clients[CONFIDENTIAL_CLIENT_ID] = AppClient(
        CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, uris
    )
    # Generation allocates hundreds of thousands of small dicts and no cycles; the cyclic
    # collector would rescan the growing heap again and again (about half the build time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for index, org in enumerate(state.orgs.values()):
            fill_books(sandbox, org, index)
    finally:
        if collecting:
            gc.enable()


def fill_books(sandbox: Sandbox, org: Organisation, index: int) -> None:
    """Generate one organisation's accounting data from its own seeded stream."""
    from uku_xero_cli.sandbox.seed import contacts, ledger, reference

    config = sandbox.config
    now = sandbox.clock.now()
    rng = random.Random(f"{config.seed}:{index}")
    days = config.months_of_history * 30.44
    data = org.data if org.data is not None else OrgData()
    org.data = data
    org.organisation_id = _uuid(rng)
    org.created = now - timedelta(days=days + 30)
    data.organisation = reference.organisation_record(
        organisation_id=org.organisation_id,
        name=org.name,
        country=org.country_code,
        base_currency=org.base_currency,
        short_code=org.short_code,
        created=org.created,
    )
    data.accounts = reference.chart_of_accounts(rng, org.country_code, org.base_currency, now, days)
    data.tax_rates = reference.tax_rates(org.country_code)
    data.currencies = reference.currencies(org.base_currency)
    data.items = reference.items(rng, config.items, org.country_code, org.base_currency, now, days)
    data.contacts = contacts.generate_contacts(
        random.Random(f"{config.seed}:{index}:contacts"),
        config.contacts,
        country=org.country_code,
        foreign_currencies=[code for code in data.currencies if code != org.base_currency],
        now=now,
        days=days,
        archived_share=config.archived_share,
    )
    for contact in data.contacts.values():
        data.index_contact(contact)
    ledger.generate_ledger(
        random.Random(f"{config.seed}:{index}:ledger"),
        data,
        base_currency=org.base_currency,
        now=now,
        days=days,
        invoices=config.invoices,
        credit_notes=config.credit_notes,
        bank_transactions=config.bank_transactions,
        manual_journals=config.manual_journals,
    )
    data.changed()
