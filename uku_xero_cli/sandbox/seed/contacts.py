"""Seeded contacts: companies and people with unique names, e-mails, company and tax numbers.

Matching Uku clients to Xero contacts should be interesting, so the data has the usual mess:
some contacts lack an e-mail, company number or tax number; a few share an e-mail (a
bookkeeper's inbox) or a number (the same business entered twice); some VAT numbers carry
spaces. Generation is one pass of cheap random choices (about 10 µs a contact).
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from uku_xero_cli.sandbox.seed.common import new_id
from uku_xero_cli.sandbox.seed.names import NamePool, pool_for, slug
from uku_xero_cli.sandbox.xero_format import epoch_ms, ms_date

_SHARED_INBOXES = ("invoices@ledgerly-bookkeeping.example", "ap@northstar-outsourcing.example")
_INITIALS = "ABCDEFGHJKLMNPRSTW"
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Empty phone and address slots are the same for every contact and never changed in place
# (updates replace whole lists), so one shared instance each keeps 100,000 contacts cheap.
_EMPTY_PHONES = ({"PhoneType": "DDI"}, {"PhoneType": "FAX"}, {"PhoneType": "MOBILE"})
_EMPTY_STREET = {"AddressType": "STREET"}
_EMPTY_POBOX = {"AddressType": "POBOX"}


class _Picker:
    """Cheap seeded choices: one `random()` call each instead of `choice`/`randrange`."""

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random

    def pick(self, options: tuple[str, ...] | str) -> str:
        return options[int(self.random() * len(options))]

    def below(self, limit: int) -> int:
        return int(self.random() * limit)


def _company_name(p: _Picker, pool: NamePool, first: str, last: str, roomy: bool) -> str:
    # `roomy` picks only the patterns with hundreds of thousands of combinations, used once
    # the small ones start to clash in a big ledger.
    pattern = 0.65 + p.random() * 0.35 if roomy else p.random()
    suffix = p.pick(pool.company_suffixes)
    if pattern < 0.15:
        return f"{last} {p.pick(pool.trades)} {suffix}"
    if pattern < 0.3:
        return f"{p.pick(pool.adjectives)} {p.pick(pool.nouns)} {suffix}"
    if pattern < 0.45:
        return f"{p.pick(pool.places)} {p.pick(pool.trades)} {suffix}"
    if pattern < 0.65:
        return f"{last} & {p.pick(pool.surnames)} {p.pick(pool.partnership_suffixes)}"
    if pattern < 0.82:
        return f"{p.pick(pool.adjectives)} {p.pick(pool.nouns)} {p.pick(pool.trades)} {suffix}"
    return f"{first} {last} {p.pick(pool.trades)}"


def _person_name(p: _Picker, first: str, last: str, roomy: bool) -> str:
    return f"{first} {p.pick(_INITIALS)}. {last}" if roomy else f"{first} {last}"


def _unique(name: str, taken: set[str], p: _Picker, pool: NamePool) -> str:
    # Real ledgers disambiguate clashing names by place, then by number.
    candidate = f"{name} ({p.pick(pool.places)})"
    number = 2
    while candidate.casefold() in taken:
        candidate = f"{name} ({number})"
        number += 1
    return candidate


def _fresh_name(p: _Picker, pool: NamePool, person: bool, taken: set[str]) -> str:
    name = ""
    for attempt in range(4):
        first, last = p.pick(pool.first_names), p.pick(pool.surnames)
        roomy = attempt > 0
        if person:
            name = _person_name(p, first, last, roomy)
        else:
            name = _company_name(p, pool, first, last, roomy)
        if name.casefold() not in taken:
            return name
    return _unique(name, taken, p, pool)


def _company_number(p: _Picker, country: str) -> str:
    if country == "EE":
        return f"1{p.below(10**7):07d}"
    if p.random() < 0.05:
        return f"SC{p.below(10**6):06d}"
    return f"{p.below(10**8):08d}"


def _tax_number(p: _Picker, country: str) -> str:
    if country == "EE":
        return f"EE10{p.below(10**7):07d}"
    digits = f"{p.below(10**9):09d}"
    if p.random() < 0.15:
        return f"GB {digits[:3]} {digits[3:7]} {digits[7:]}"
    return f"GB{digits}"


def _postal_address(p: _Picker, pool: NamePool) -> dict[str, Any]:
    city = p.pick(pool.places)
    if pool.country == "Estonia":
        postcode = f"{10 + p.below(89)}{p.below(1000):03d}"
    else:
        letters = _POSTCODE_LETTERS
        postcode = (
            f"{city[:2].upper()}{1 + p.below(19)} "
            f"{1 + p.below(9)}{p.pick(letters)}{p.pick(letters)}"
        )
    line = f"{1 + p.below(239)} {p.pick(pool.streets)} {p.pick(pool.street_kinds)}"
    return {
        "AddressType": "POBOX",
        "AddressLine1": line.strip(),
        "City": city,
        "PostalCode": postcode,
        "Country": pool.country,
    }


def _phones(p: _Picker, pool: NamePool) -> list[dict[str, Any]]:
    main = {
        "PhoneType": "DEFAULT",
        "PhoneNumber": f"{1_000_000 + p.below(9_000_000)}",
        "PhoneAreaCode": f"{20 + p.below(79)}" if pool.phone_prefix == "44" else "",
        "PhoneCountryCode": pool.phone_prefix,
    }
    return [main, *_EMPTY_PHONES]


def generate_contacts(
    rng: random.Random,
    count: int,
    *,
    country: str,
    foreign_currencies: list[str],
    now: datetime,
    days: float,
    archived_share: float,
) -> dict[str, dict[str, Any]]:
    """`count` contacts keyed by ContactID, in creation order."""
    pool = pool_for(country)
    p = _Picker(rng)
    chance = p.random
    pick = p.pick
    taken: set[str] = set()
    company_numbers: list[str] = []
    tax_numbers: list[str] = []
    records: dict[str, dict[str, Any]] = {}
    now_ms = epoch_ms(now)
    span_ms = max(2, int(days * 86_400_000))
    for _ in range(count):
        person = chance() < 0.3
        name = _fresh_name(p, pool, person, taken)
        taken.add(name.casefold())
        first, last = pick(pool.first_names), pick(pool.surnames)
        if person:
            # A person's name parts are those of the name itself.
            parts = name.split(" ")
            first, last = parts[0], parts[-1]
        contact_id = new_id(rng)
        updated = now_ms - 1 - int(chance() * span_ms)
        record: dict[str, Any] = {
            "ContactID": contact_id,
            "ContactStatus": "ARCHIVED" if chance() < archived_share else "ACTIVE",
            "Name": name,
            "UpdatedDateUTC": f"/Date({updated}+0000)/",
            "_updated": updated,
        }
        if person or chance() < 0.5:
            record["FirstName"] = first
            record["LastName"] = last
        roll = chance()
        if roll < 0.02:
            record["EmailAddress"] = pick(_SHARED_INBOXES)
        elif roll < 0.9:
            if person:
                record["EmailAddress"] = f"{slug(first)}.{slug(last)}@mail.example"
            else:
                box = pick(("accounts", "info", "invoices", "office"))
                record["EmailAddress"] = f"{box}@{slug(name)[:40]}.example"
        if not person and chance() < 0.75:
            if company_numbers and chance() < 0.015:
                record["CompanyNumber"] = pick(tuple(company_numbers[-50:]))
            else:
                record["CompanyNumber"] = _company_number(p, country)
                company_numbers.append(record["CompanyNumber"])
        if chance() < (0.1 if person else 0.6):
            if tax_numbers and chance() < 0.015:
                record["TaxNumber"] = pick(tuple(tax_numbers[-50:]))
            else:
                record["TaxNumber"] = _tax_number(p, country)
                tax_numbers.append(record["TaxNumber"])
        if chance() < 0.2:
            record["ContactNumber"] = f"C{p.below(10**5):05d}"
        if foreign_currencies and chance() < 0.05:
            record["DefaultCurrency"] = pick(tuple(foreign_currencies))
        pobox = _postal_address(p, pool) if chance() < 0.8 else _EMPTY_POBOX
        record["Addresses"] = [pobox, _EMPTY_STREET]
        record["Phones"] = _phones(p, pool)
        record["ContactGroups"] = []
        record["ContactPersons"] = []
        record["IsSupplier"] = False
        record["IsCustomer"] = False
        record["HasAttachments"] = False
        record["HasValidationErrors"] = False
        records[contact_id] = record
    return records


def contact_record(contact_id: str, fields: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """A contact created through the API (or inline with an invoice), in the stored shape."""
    record: dict[str, Any] = {
        "ContactID": contact_id,
        "ContactStatus": "ACTIVE",
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "IsSupplier": False,
        "IsCustomer": False,
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    record.update(fields)
    record["UpdatedDateUTC"] = ms_date(moment)
    record["_updated"] = epoch_ms(moment)
    return record
