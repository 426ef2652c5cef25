"""Matching contacts to clients inside a company's store, at the cost of what changed.

`match_contacts` decides links for the contacts it is given; this module picks which
contacts can come out differently from the last match, so a reload that changed nothing
matches nothing and a 100,000-contact organisation is never loaded whole. The contacts taken:

- those added or changed since the last match, those whose client was unlinked or deleted,
  and those the last match left ambiguous (the store's queue: a change elsewhere may settle
  them);
- every contact not linked to an Uku client, when a free client (one nobody is linked to)
  was added, changed or freed since the last match, or when asked for everything.

A contact linked to an Uku client is never taken: its link stays. Of those taken, a contact
that shares no key with any free client can only become a new client (or, linked to a
placeholder, keep it); those are written page by page without holding them. The rest, few in
practice, go through `match_contacts` with the free clients: ambiguity is decided among them
exactly as when every contact was matched, because a contact outside them has no candidate
to claim.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.sync.matching import ClientKeys, MatchResult, match_contacts

if TYPE_CHECKING:
    from uku_xero_cli.store import Store
    from uku_xero_cli.store.models import ClientRecord, XeroContact

PAGE = 1000


def match_in_store(store: Store, *, everything: bool = False) -> MatchResult:
    """Match what may have changed since the last match and write the outcome.

    `everything`: take every contact not linked to an Uku client (`reload --full`). The
    result's `kept` counts every active contact that keeps its client, as if all were
    matched; its `ambiguities` are every contact still left unlinked by ambiguity.
    """
    with store.transaction():
        every = everything or store.match_every_contact()
        if not every and not store.contacts_waiting_for_match():
            return MatchResult(kept=store.linked_active_contacts())
        free = store.list_clients(unmatched_only=True)
        keys = ClientKeys(free)
        undecided: list[XeroContact] = []
        placeholders: list[ClientRecord] = []
        written = 0
        after = ""
        while page := store.contacts_to_match(
            every=every, provisional=keys.has_uku, after=after, limit=PAGE
        ):
            alone: list[XeroContact] = []
            for contact, placeholder in page:
                if keys.may_match(contact, provisional=placeholder is not None):
                    undecided.append(contact)
                    if placeholder is not None:
                        record = store.client(placeholder)
                        if record is not None:
                            placeholders.append(record)
                elif placeholder is None:
                    alone.append(contact)
            written += store.add_clients_from_contacts(alone)
            after = page[-1][0].contact_id
        result = match_contacts(undecided, [*free, *placeholders])
        store.apply_matches(result)
        result.new_clients_written = written
        # Every linked active contact keeps its client except those just linked or made.
        linked = store.linked_active_contacts()
        result.kept = linked - len(result.links) - result.new_client_count
        store.finish_match(a.contact_id for a in result.ambiguities)
    return result
