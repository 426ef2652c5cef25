"""Matching Xero contacts to Uku clients: pure, in memory, linear in the input sizes.

Rules, in order: an existing link by ContactID; then company registration number, tax
number, email and normalised name. Each rule runs over every still-unplaced contact before
the next rule starts, so a stronger rule always wins over a weaker one, whatever the order of
the input. Within a rule a contact is linked only when exactly one free client has its key
and no other contact claims that client by the same rule; otherwise the contact is
ambiguous, left unlinked and reported, and no weaker rule is tried for it. A client is never
linked to two contacts. Contacts that no rule places become new clients (origin `xero`).

A link to a client that was itself made from the contact (origin `xero`) is provisional: if
an Uku client later matches the contact by a rule, the link moves to it and the placeholder
is retired (`Link.replaces`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from uku_xero_cli.store.models import ClientRecord, XeroContact

Rule = Literal["registration_number", "tax_number", "email", "name"]
RULES: tuple[Rule, ...] = ("registration_number", "tax_number", "email", "name")
NEW_CLIENT_PREFIX = "xero:"

# Legal-form words dropped from the end of a name ("Acme Ltd" matches "ACME Limited").
# fmt: off
LEGAL_SUFFIXES = frozenset({
    "ltd", "limited", "llc", "llp", "lp", "plc", "inc", "incorporated", "corp", "corporation",
    "co", "company", "gmbh", "mbh", "ag", "kg", "ou", "as", "asa", "oy", "oyj", "ab", "aps",
    "bv", "nv", "sa", "sas", "sarl", "srl", "spa", "sl", "pty", "pte", "kft", "sro", "zrt",
    "ehf", "uab", "sia",
})
# Country prefixes of VAT numbers (EU states, EL for Greece, GB/XI, and a few neighbours).
VAT_PREFIXES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GB", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI", "NO",
    "CH",
})
# fmt: on
_PREFIX_ALIASES = {"GR": "EL"}
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+")
_WORD_BREAK = re.compile(r"[^\w]+")
_DROPPED = re.compile(r"['’`.]")


@dataclass(frozen=True, slots=True)
class Link:
    """A contact newly linked to an existing client (`replaces`: retired placeholder id)."""

    contact_id: str
    client_id: str
    method: Rule
    replaces: str | None = None


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A contact left unlinked because a rule found several clients, or because several
    contacts claimed the same client by that rule."""

    contact_id: str
    contact_name: str
    rule: Rule
    candidate_ids: tuple[str, ...]
    rival_contact_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "contact_name": self.contact_name,
            "rule": self.rule,
            "candidates": list(self.candidate_ids),
            "rival_contacts": list(self.rival_contact_ids),
        }


@dataclass(frozen=True, slots=True)
class NewClient:
    """A client to create from a contact no rule placed."""

    client_id: str
    contact: XeroContact


@dataclass
class MatchResult:
    kept: int = 0
    links: list[Link] = field(default_factory=list)
    ambiguities: list[Ambiguity] = field(default_factory=list)
    new_clients: list[NewClient] = field(default_factory=list)
    # Clients made from contacts no client could match, already written by the store
    # (match_store.py decides those in bulk rather than holding them here).
    new_clients_written: int = 0

    @property
    def new_client_count(self) -> int:
        return len(self.new_clients) + self.new_clients_written

    def by_method(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for link in self.links:
            counts[link.method] += 1
        return dict(counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "kept": self.kept,
            "linked": self.by_method(),
            "moved_from_placeholder": sum(1 for link in self.links if link.replaces),
            "new_clients": self.new_client_count,
            "ambiguous": [a.to_json() for a in self.ambiguities],
        }


def normalise_number(value: str | None) -> str | None:
    """Registration numbers: letters and digits only, upper case."""
    if not value:
        return None
    key = _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).upper())
    return key or None


def normalise_tax_number(value: str | None) -> tuple[str | None, str] | None:
    """A tax number as (VAT country prefix or None, the rest), letters and digits only."""
    key = normalise_number(value)
    if key is None:
        return None
    prefix = _PREFIX_ALIASES.get(key[:2], key[:2])
    if prefix in VAT_PREFIXES and len(key) > 2 and key[2].isdigit():
        return prefix, key[2:]
    return None, key


def normalise_email(value: str | None) -> str | None:
    if not value:
        return None
    key = value.strip().casefold()
    return key if _EMAIL_SHAPE.fullmatch(key) else None


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_name(value: str | None) -> str | None:
    """Case, accents, punctuation, spacing and trailing legal forms do not count."""
    if not value:
        return None
    text = _strip_accents(value.casefold()).replace("&", " and ")
    # Dots and apostrophes join ("L.L.C." → "llc", "O'Brien" → "obrien"); the rest separates.
    text = _DROPPED.sub("", text).replace("_", " ")
    words = [w for w in _WORD_BREAK.split(text) if w]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words) or None


def _client_keys(client: ClientRecord, rule: Rule) -> list[Hashable]:
    if rule == "registration_number":
        key = normalise_number(client.registration_number)
    elif rule == "email":
        key = normalise_email(client.email)
    elif rule == "name":
        key = normalise_name(client.name)
    else:
        tax = normalise_tax_number(client.vat_number)
        # Indexed by the number alone; prefixes are compared when candidates are drawn.
        return [] if tax is None else [tax[1]]
    return [] if key is None else [key]


def _contact_key(contact: XeroContact, rule: Rule) -> Any:
    if rule == "registration_number":
        return normalise_number(contact.company_number)
    if rule == "tax_number":
        return normalise_tax_number(contact.tax_number)
    if rule == "email":
        return normalise_email(contact.email)
    return normalise_name(contact.name)


def _tax_prefix_fits(client: ClientRecord, contact_prefix: str | None) -> bool:
    tax = normalise_tax_number(client.vat_number)
    if tax is None:
        return False
    # "GB123" and "123" may be the same number; "GB123" and "EE123" are not.
    return contact_prefix is None or tax[0] is None or tax[0] == contact_prefix


def _index(clients: Iterable[ClientRecord], rule: Rule) -> dict[Hashable, list[ClientRecord]]:
    index: dict[Hashable, list[ClientRecord]] = defaultdict(list)
    for client in clients:
        for key in _client_keys(client, rule):
            index[key].append(client)
    return index


class ClientKeys:
    """The keys of the free clients by rule: a contact with none of them has no candidate
    under any rule, so matching can decide it without looking at any other contact."""

    def __init__(self, clients: Iterable[ClientRecord]) -> None:
        self._any: dict[Rule, set[Hashable]] = {rule: set() for rule in RULES}
        self._uku: dict[Rule, set[Hashable]] = {rule: set() for rule in RULES}
        for client in clients:
            if client.xero_contact_id:
                continue
            for rule in RULES:
                for key in _client_keys(client, rule):
                    self._any[rule].add(key)
                    if client.origin == "uku":
                        self._uku[rule].add(key)

    @property
    def has_uku(self) -> bool:
        """Whether any free Uku client exists (nothing else takes over a placeholder's link)."""
        return any(self._uku.values())

    def may_match(self, contact: XeroContact, *, provisional: bool = False) -> bool:
        """Whether some free client shares a key with `contact` (with `provisional`, a
        contact linked to a placeholder: some free Uku client, the only kind that takes a
        placeholder's place). False means no rule can find it a candidate."""
        keys = self._uku if provisional else self._any
        for rule in RULES:
            if not keys[rule]:
                continue
            key = _contact_key(contact, rule)
            if key is None:
                continue
            # Tax numbers are indexed by number alone, as `_index` does.
            if (key[1] if rule == "tax_number" else key) in keys[rule]:
                return True
        return False


def _candidates(
    rule: Rule,
    contact: XeroContact,
    index: dict[Hashable, list[ClientRecord]],
    is_free: Callable[[ClientRecord], bool],
) -> list[ClientRecord] | None:
    key = _contact_key(contact, rule)
    if key is None:
        return None
    if rule == "tax_number":
        prefix, number = key
        return [c for c in index.get(number, ()) if is_free(c) and _tax_prefix_fits(c, prefix)]
    return [c for c in index.get(key, ()) if is_free(c)]


def new_client_id(contact_id: str) -> str:
    """The id a client made from a Xero contact gets (Uku's own ids never look like this)."""
    return f"{NEW_CLIENT_PREFIX}{contact_id}"


def match_contacts(contacts: Sequence[XeroContact], clients: Sequence[ClientRecord]) -> MatchResult:
    """Decide links for `contacts` (pass every active contact) against all `clients`."""
    result = MatchResult()
    by_link = {c.xero_contact_id: c for c in clients if c.xero_contact_id}
    taken: set[str] = {c.id for c in clients if c.xero_contact_id}
    # contact id → placeholder client it is provisionally linked to
    provisional: dict[str, str] = {}
    pending: list[XeroContact] = []
    seen: set[str] = set()
    for contact in contacts:
        # Archived contacts neither match nor become clients (the caller marks theirs).
        if contact.contact_id in seen or contact.archived:
            continue
        seen.add(contact.contact_id)
        linked = by_link.get(contact.contact_id)
        if linked is None:
            pending.append(contact)
        elif linked.origin == "xero":
            provisional[contact.contact_id] = linked.id
            pending.append(contact)
        else:
            result.kept += 1

    free_clients = [c for c in clients if c.id not in taken]
    for rule in RULES:
        if not pending:
            break
        index = _index(free_clients, rule)
        still: list[XeroContact] = []
        claims: dict[str, list[XeroContact]] = defaultdict(list)
        for contact in pending:
            placeholder = provisional.get(contact.contact_id)

            def is_free(client: ClientRecord, placeholder: str | None = placeholder) -> bool:
                if client.id in taken:
                    return False
                # A placeholder only yields to an Uku client.
                return placeholder is None or client.origin == "uku"

            found = _candidates(rule, contact, index, is_free)
            if not found:
                still.append(contact)
            elif len(found) == 1:
                claims[found[0].id].append(contact)
            else:
                result.ambiguities.append(
                    Ambiguity(
                        contact.contact_id,
                        contact.name,
                        rule,
                        tuple(sorted(c.id for c in found)),
                    )
                )
        for client_id, claimants in claims.items():
            if len(claimants) == 1:
                contact = claimants[0]
                placeholder = provisional.pop(contact.contact_id, None)
                result.links.append(Link(contact.contact_id, client_id, rule, placeholder))
                taken.add(client_id)
                continue
            rivals = tuple(sorted(c.contact_id for c in claimants))
            for contact in claimants:
                result.ambiguities.append(
                    Ambiguity(
                        contact.contact_id,
                        contact.name,
                        rule,
                        (client_id,),
                        tuple(r for r in rivals if r != contact.contact_id),
                    )
                )
        pending = still

    for contact in pending:
        if contact.contact_id in provisional:
            result.kept += 1  # still with its placeholder: nothing better turned up
        else:
            result.new_clients.append(NewClient(new_client_id(contact.contact_id), contact))
    # Ambiguous contacts keep their placeholder link too.
    result.kept += sum(1 for a in result.ambiguities if a.contact_id in provisional)
    return result
