"""Which Xero contact an invoice goes to: the client's linked contact; else the contact the
reload's matching rules find for it; else the contact an earlier run created for it (found
by ContactNumber, the Uku client id) but died before linking; else a contact created in Xero
for it (PUT /Contacts with an Idempotency-Key), unless creating contacts is switched off.
When Xero refuses to create one because its name is taken, the contact holding the name is
linked instead, unless it is marked as, or linked to, another client.

The client details the invoice file carries are the ones matched and sent: they are what Uku
holds now. A client unknown to the store is added to it (origin `uku`) so its link is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uku_xero_cli.store.models import ClientInput, ClientRecord, XeroContact
from uku_xero_cli.sync.invoice_payload import idempotency_key
from uku_xero_cli.sync.matching import MatchResult, match_contacts
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.parse import encode_json
from uku_xero_cli.xero.writes import WRITE_BATCH, create_contacts

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.xero.client import XeroClient

# Xero's ContactNumber ("identifies the contact in external systems") holds 50 characters.
CONTACT_NUMBER_MAX = 50
_RULE_WORDS = {
    "registration_number": "registration number",
    "tax_number": "VAT number",
    "email": "email",
    "name": "name",
}


@dataclass(frozen=True)
class ContactChoice:
    """How one client reaches Xero: a contact id and how it was found, or why it cannot."""

    client_id: str
    contact_id: str | None = None
    how: str = ""
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _record(client: ClientInput) -> ClientRecord:
    return ClientRecord(
        id=client.id,
        name=client.name,
        email=client.email,
        registration_number=client.registration_number,
        vat_number=client.vat_number,
        extra={},
        origin="uku",
        archived=False,
        xero_contact_id=None,
        match_method=None,
        matched_at=None,
    )


def new_contact(client: ClientInput) -> dict[str, Any]:
    """The element of `{"Contacts": [...]}` that creates a contact for the client."""
    body: dict[str, Any] = {"Name": client.name}
    if len(client.id) <= CONTACT_NUMBER_MAX:
        body["ContactNumber"] = client.id
    if client.email:
        body["EmailAddress"] = client.email
    if client.registration_number:
        body["CompanyNumber"] = client.registration_number
    if client.vat_number:
        body["TaxNumber"] = client.vat_number
    return body


def _has_errors(element: dict[str, Any]) -> bool:
    return bool(element.get("HasValidationErrors") or element.get("ValidationErrors"))


class ContactResolver:
    """Finds (or creates) the contact of every client of one push run."""

    def __init__(
        self,
        store: Store,
        client: XeroClient | None,
        *,
        company: str,
        tenant_id: str,
        create: bool,
        dry_run: bool,
    ) -> None:
        self.store = store
        self.client = client
        self.company = company
        self.tenant_id = tenant_id
        self.create = create
        self.dry_run = dry_run

    def resolve(self, clients: Sequence[ClientInput]) -> dict[str, ContactChoice]:
        wanted: dict[str, ClientInput] = {}
        for client in clients:
            wanted.setdefault(client.id, client)
        choices: dict[str, ContactChoice] = {}
        unlinked: dict[str, ClientInput] = {}
        known: set[str] = set()
        for client_id, client in wanted.items():
            stored = self.store.client(client_id)
            if stored is not None and stored.xero_contact_id:
                choices[client_id] = ContactChoice(client_id, stored.xero_contact_id, "linked")
            else:
                unlinked[client_id] = client
                if stored is not None:
                    known.add(client_id)
        if not unlinked:
            return choices
        choices.update(self._match(unlinked))
        missing = {cid: c for cid, c in unlinked.items() if cid not in choices}
        if missing:
            choices.update(self._create(missing, known))
        return choices

    # -- matching --------------------------------------------------------------------------

    def _match(self, unlinked: dict[str, ClientInput]) -> dict[str, ContactChoice]:
        stored = {c.id: c for c in self.store.list_clients()}
        if not self.dry_run:
            new = [c for cid, c in unlinked.items() if cid not in stored]
            if new:
                self.store.import_clients(new)
        # The invoice's details stand in for the stored ones of the same client.
        records = [c for cid, c in stored.items() if cid not in unlinked]
        records.extend(_record(c) for c in unlinked.values())
        result = match_contacts(self.store.active_contacts(), records)
        choices: dict[str, ContactChoice] = {}
        mine = [link for link in result.links if link.client_id in unlinked]
        for link in mine:
            how = f"matched by {_RULE_WORDS.get(link.method, link.method)}"
            choices[link.client_id] = ContactChoice(link.client_id, link.contact_id, how)
        if mine and not self.dry_run:
            self.store.apply_matches(MatchResult(links=mine))
        for ambiguity in result.ambiguities:
            for client_id in ambiguity.candidate_ids:
                if client_id in unlinked and client_id not in choices:
                    # Creating a contact here would add a duplicate to Xero.
                    choices[client_id] = ContactChoice(
                        client_id,
                        problems=(
                            f"client {client_id} matches more than one Xero contact by "
                            f"{_RULE_WORDS.get(ambiguity.rule, ambiguity.rule)} (one is "
                            f"{ambiguity.contact_name!r}); link it to one with "
                            "`uku-xero clients` or make the details unique",
                        ),
                    )
        return choices

    # -- creating --------------------------------------------------------------------------

    def _create(self, missing: dict[str, ClientInput], known: set[str]) -> dict[str, ContactChoice]:
        """Contacts for clients nothing matched: one an earlier run made, else a new one.

        `known` are the clients the store held before this run: only for them can an earlier
        run have created a contact and died before linking it (clients are stored first).
        """
        if self.dry_run:
            if not self.create:
                return {cid: self._not_creating(c) for cid, c in missing.items()}
            return {cid: ContactChoice(cid, None, "would create") for cid in missing}
        earlier = [c for cid, c in missing.items() if cid in known]
        choices = self._find_by_number(earlier)
        pending = [c for cid, c in missing.items() if cid not in choices]
        if not self.create:
            choices.update({c.id: self._not_creating(c) for c in pending})
            return choices
        for start in range(0, len(pending), WRITE_BATCH):
            choices.update(self._create_batch(pending[start : start + WRITE_BATCH]))
        return choices

    @staticmethod
    def _not_creating(client: ClientInput) -> ContactChoice:
        return ContactChoice(
            client.id,
            problems=(
                f"client {client.id} ({client.name}) has no Xero contact and "
                "--no-create-contacts was given",
            ),
        )

    # -- finding what Xero already has -------------------------------------------------------

    def _find_by_number(self, clients: Sequence[ClientInput]) -> dict[str, ContactChoice]:
        """Active contacts whose ContactNumber is the client's id (set when we create one)."""
        assert self.client is not None
        choices: dict[str, ContactChoice] = {}
        found: list[tuple[ClientInput, dict[str, Any]]] = []
        eligible = [c for c in clients if len(c.id) <= CONTACT_NUMBER_MAX]
        answered = endpoints.contacts_by_numbers(self.client, [c.id for c in eligible])
        by_number: dict[str, list[dict[str, Any]]] = {}
        for element in _active(answered):
            by_number.setdefault(str(element.get("ContactNumber") or ""), []).append(element)
        for client in eligible:
            hits = by_number.get(client.id, [])
            if len(hits) == 1:
                found.append((client, hits[0]))
            elif hits:
                choices[client.id] = ContactChoice(
                    client.id,
                    problems=(
                        f"client {client.id}: {len(hits)} Xero contacts have contact number "
                        f"{client.id!r}; link it to one with `uku-xero clients`",
                    ),
                )
        choices.update(self._link(found, "created_in_xero", "found by contact number"))
        return choices

    def _find_by_name(self, client: ClientInput) -> dict[str, Any] | None:
        """The active contact holding the client's name, if it may be the client's: not
        marked (ContactNumber) as another's, nor linked to another client in the store."""
        assert self.client is not None
        key = client.name.strip().casefold()
        found = endpoints.contacts_found_by(self.client, client.name)
        same = [e for e in _active(found) if str(e.get("Name") or "").strip().casefold() == key]
        if len(same) != 1:
            return None
        contact = same[0]
        number = contact.get("ContactNumber")
        if number and number != client.id:
            return None
        holder = self.store.client_for_contact(str(contact["ContactID"]))
        if holder is not None and holder.id != client.id:
            return None
        return contact

    def _link(
        self, found: list[tuple[ClientInput, dict[str, Any]]], method: str, how: str
    ) -> dict[str, ContactChoice]:
        choices: dict[str, ContactChoice] = {}
        if not found:
            return choices
        contacts = [(client, XeroContact.from_xero(element)) for client, element in found]
        with self.store.transaction():
            self.store.upsert_contacts([contact for _, contact in contacts])
            for client, contact in contacts:
                self.store.link_client(client.id, contact.contact_id, method)
                choices[client.id] = ContactChoice(client.id, contact.contact_id, how)
        return choices

    # -- creating --------------------------------------------------------------------------

    def _create_batch(self, batch: list[ClientInput]) -> dict[str, ContactChoice]:
        assert self.client is not None
        bodies = [new_contact(c) for c in batch]
        key = idempotency_key(
            self.company, self.tenant_id, "PUT Contacts", [encode_json(b) for b in bodies]
        )
        answer = create_contacts(self.client, bodies, idempotency_key=key)
        return self._record_created(batch, answer.elements)

    def _record_created(
        self, batch: list[ClientInput], elements: list[dict[str, Any]]
    ) -> dict[str, ContactChoice]:
        from uku_xero_cli.xero.client import validation_messages

        by_number: dict[str, dict[str, Any]] = {}
        by_name: dict[str, dict[str, Any]] = {}
        for element in elements:
            if element.get("ContactNumber"):
                by_number.setdefault(str(element["ContactNumber"]), element)
            by_name.setdefault(str(element.get("Name") or "").strip().casefold(), element)
        choices: dict[str, ContactChoice] = {}
        created: list[tuple[ClientInput, dict[str, Any]]] = []
        refused: list[tuple[ClientInput, list[str]]] = []
        for client in batch:
            match = by_number.get(client.id) or by_name.get(client.name.casefold())
            if match is None:
                choices[client.id] = ContactChoice(
                    client.id, problems=(f"Xero's answer left out the contact for {client.id}",)
                )
            elif _has_errors(match) or not match.get("ContactID"):
                refused.append((client, validation_messages(match)))
            else:
                created.append((client, match))
        choices.update(self._link(created, "created_in_xero", "created"))
        # Most often the name is taken (names are unique among active contacts): by a contact
        # made since the last reload, or by one an earlier run created but never linked.
        found: list[tuple[ClientInput, dict[str, Any]]] = []
        for client, reasons in refused:
            holder = self._find_by_name(client) if _name_taken(reasons) else None
            if holder is not None:
                found.append((client, holder))
                continue
            reasons = reasons or ["Xero did not create the contact"]
            choices[client.id] = ContactChoice(
                client.id, problems=tuple(f"contact {client.name!r}: {r}" for r in reasons)
            )
        choices.update(self._link(found, "name", "found by name"))
        return choices


def _name_taken(reasons: Sequence[str]) -> bool:
    """Whether Xero refused a contact because an active one already has its name."""
    return any("already assigned" in r or "must be unique" in r for r in reasons)


def _active(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if r.get("ContactID") and str(r.get("ContactStatus") or "ACTIVE").upper() == "ACTIVE"
    ]
