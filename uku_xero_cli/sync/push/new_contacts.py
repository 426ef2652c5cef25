"""Contacts in Xero for clients nothing in the store matched: the contact an earlier run
created for the client (found by ContactNumber, the Uku client id) but died before linking,
else a new one (PUT /Contacts with an Idempotency-Key). When Xero refuses to create one
because its name is taken, the contact holding the name is linked instead, unless it is
marked as, or linked to, another client. Every contact found or made is linked at once.

A dry run takes the same decisions without creating or linking anything (`predict`): the
contact holding a client's name, asked of Xero when the company is connected (else looked up
among the contacts the last reload imported), is what the push would link, or the reason it
would fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uku_xero_cli.command_lines import command_line
from uku_xero_cli.store.models import ClientInput, XeroContact
from uku_xero_cli.xero import endpoints
from uku_xero_cli.xero.parse import encode_json
from uku_xero_cli.xero.writes import WRITE_BATCH, create_contacts

if TYPE_CHECKING:
    from uku_xero_cli.sync.push.plan import PushRun

# Xero's ContactNumber ("identifies the contact in external systems") holds 50 characters.
CONTACT_NUMBER_MAX = 50


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


class NewContacts:
    """Finds or creates the Xero contacts of one push run's unmatched clients."""

    def __init__(self, run: PushRun) -> None:
        self.run = run
        self.store = run.store
        self._by_name: dict[str, list[dict[str, Any]]] | None = None

    def find_by_number(self, clients: Sequence[ClientInput]) -> dict[str, ContactChoice]:
        """Active contacts whose ContactNumber is the client's id (set when we create one)."""
        choices: dict[str, ContactChoice] = {}
        found: list[tuple[ClientInput, dict[str, Any]]] = []
        eligible = [c for c in clients if len(c.id) <= CONTACT_NUMBER_MAX]
        answered = endpoints.contacts_by_numbers(self.run.xero, [c.id for c in eligible])
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
                        f"{client.id!r}; link it to one with "
                        f"`{command_line('clients', self.run.company)}`",
                    ),
                )
        choices.update(self._link(found, "created_in_xero", "found by contact number"))
        return choices

    def create(self, clients: Sequence[ClientInput]) -> dict[str, ContactChoice]:
        """A new contact for each client, WRITE_BATCH a request."""
        choices: dict[str, ContactChoice] = {}
        for start in range(0, len(clients), WRITE_BATCH):
            choices.update(self._create_batch(list(clients[start : start + WRITE_BATCH])))
        return choices

    def predict(self, clients: Sequence[ClientInput]) -> dict[str, ContactChoice]:
        """What `create` would end with, for a dry run, without creating anything: Xero
        refuses a new contact whose name an active contact holds, and then the push links
        that contact or fails the invoice, as `_name_holder` decides for both."""
        choices: dict[str, ContactChoice] = {}
        for client in clients:
            holder, problem = self._name_holder(client)
            if problem is not None:
                choices[client.id] = ContactChoice(client.id, problems=(problem,))
            elif holder is not None:
                contact_id = str(holder["ContactID"])
                choices[client.id] = ContactChoice(client.id, contact_id, "would link (by name)")
            else:
                choices[client.id] = ContactChoice(client.id, None, "would create")
        return choices

    def _name_holder(self, client: ClientInput) -> tuple[dict[str, Any] | None, str | None]:
        """The one active contact holding the client's name, and why it may not be the
        client's: marked (ContactNumber) as another's, or linked to another client in the
        store. (None, None) when no single contact holds the name. Xero is asked when the
        run has a client; a dry run without one looks at what the last reload imported."""
        key = client.name.strip().casefold()
        if self.run.client is not None:
            found = _active(endpoints.contacts_found_by(self.run.xero, client.name))
        else:
            found = self._stored_by_name().get(key, [])
        same = [e for e in found if str(e.get("Name") or "").strip().casefold() == key]
        if len(same) != 1:
            return None, None
        contact = same[0]
        named = f"client {client.id} ({client.name}): Xero's contact of that name"
        # The store's link first: a dry run without a connection knows it, not the number.
        holder = self.store.client_for_contact(str(contact["ContactID"]))
        if holder is not None and holder.id != client.id:
            return contact, (
                f"{named} is linked to client {holder.id} ({holder.name}); give one of them "
                "another name in Uku or Xero"
            )
        number = contact.get("ContactNumber")
        if number and number != client.id:
            return contact, (
                f"{named} has contact number {number!r}, which marks it as another client's; "
                "give one of them another name in Uku or Xero"
            )
        return contact, None

    def _stored_by_name(self) -> dict[str, list[dict[str, Any]]]:
        """The active contacts the last reload imported, by case-folded name (read once)."""
        if self._by_name is None:
            self._by_name = {}
            for contact in self.store.active_contacts():
                element = {"ContactID": contact.contact_id, "Name": contact.name}
                self._by_name.setdefault(contact.name.strip().casefold(), []).append(element)
        return self._by_name

    def _link(
        self, found: list[tuple[ClientInput, dict[str, Any]]], method: str, how: str
    ) -> dict[str, ContactChoice]:
        choices: dict[str, ContactChoice] = {}
        if not found:
            return choices
        if self.run.options.dry_run:
            # What the push would link; a dry run writes nothing.
            for client, element in found:
                contact_id = str(element["ContactID"])
                choices[client.id] = ContactChoice(client.id, contact_id, f"would link ({how})")
            return choices
        contacts = [(client, XeroContact.from_xero(element)) for client, element in found]
        with self.store.transaction():
            self.store.upsert_contacts([contact for _, contact in contacts])
            for client, contact in contacts:
                self.store.link_client(client.id, contact.contact_id, method)
                choices[client.id] = ContactChoice(client.id, contact.contact_id, how)
        return choices

    def _create_batch(self, batch: list[ClientInput]) -> dict[str, ContactChoice]:
        bodies = [new_contact(c) for c in batch]
        key = self.run.idempotency_key("PUT Contacts", [encode_json(b) for b in bodies])
        answer = create_contacts(self.run.xero, bodies, idempotency_key=key)
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
            holder, problem = self._name_holder(client) if _name_taken(reasons) else (None, None)
            if holder is not None and problem is None:
                found.append((client, holder))
                continue
            reasons = reasons or ["Xero did not create the contact"]
            explained = [f"contact {client.name!r}: {r}" for r in reasons]
            # The same words a dry run gives for it (`predict`), after Xero's own.
            choices[client.id] = ContactChoice(
                client.id, problems=(*explained, *filter(None, [problem]))
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
