"""Which Xero contact an invoice goes to: the client's linked contact; else the contact the
reload's matching rules find for it; else the contact an earlier run created for it (found
by ContactNumber, the Uku client id) but died before linking; else a contact created in Xero
for it, unless creating contacts is switched off (those two in `new_contacts`).

The client details the invoice file carries are the ones matched and sent: they are what Uku
holds now. A client unknown to the store is added to it (origin `uku`) so its link is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from uku_xero_cli.command_lines import command_line
from uku_xero_cli.store.models import ClientInput, ClientRecord
from uku_xero_cli.sync.matching import MatchResult, match_contacts
from uku_xero_cli.sync.push.new_contacts import ContactChoice, NewContacts

if TYPE_CHECKING:
    from uku_xero_cli.sync.push.plan import PushRun

_RULE_WORDS = {
    "registration_number": "registration number",
    "tax_number": "VAT number",
    "email": "email",
    "name": "name",
}


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


class ContactResolver:
    """Finds (or creates) the contact of every client of one push run."""

    def __init__(self, run: PushRun) -> None:
        self.run = run
        self.store = run.store
        self.create = run.options.create_contacts
        self.dry_run = run.options.dry_run

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
                            f"`{command_line('clients', self.run.company)}` or make the "
                            "details unique",
                        ),
                    )
        return choices

    # -- creating --------------------------------------------------------------------------

    def _create(self, missing: dict[str, ClientInput], known: set[str]) -> dict[str, ContactChoice]:
        """Contacts for clients nothing matched: one an earlier run made, else a new one (a
        dry run says what the push would find or make, and does neither).

        `known` are the clients the store held before this run: only for them can an earlier
        run have created a contact and died before linking it (clients are stored first).
        Without a Xero client (a dry run of a company not connected) that is not looked up.
        """
        xero = NewContacts(self.run)
        earlier = [c for cid, c in missing.items() if cid in known]
        choices = xero.find_by_number(earlier) if self.run.client is not None else {}
        pending = [c for cid, c in missing.items() if cid not in choices]
        if not self.create:
            choices.update({c.id: self._not_creating(c) for c in pending})
        elif self.dry_run:
            choices.update(xero.predict(pending))
        else:
            choices.update(xero.create(pending))
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
