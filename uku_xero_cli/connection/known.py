"""Which companies exist, and the error for a name that is not one of them.

A company exists once it has a token file or an Uku-side store (`configured_companies`).
Commands that act on a company refuse any other name before they open, lock or create
anything for it, with the closest existing names: `auth` (and `clients import`, which may
load Uku's client list before anyone signs in) are the ways a company comes to exist.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import TYPE_CHECKING

from uku_xero_cli.errors import UnknownCompany

if TYPE_CHECKING:
    from collections.abc import Sequence

    from uku_xero_cli.settings import Settings


def close_names(company: str, known: Sequence[str]) -> list[str]:
    """The existing names `company` may be a typo of, closest first (letter case aside)."""
    by_folded = {name.casefold(): name for name in known}
    found = get_close_matches(company.casefold(), list(by_folded), n=3, cutoff=0.6)
    return [by_folded[name] for name in found]


def did_you_mean(close: Sequence[str]) -> str:
    """ "; did you mean 'acme'?" (nothing without `close` names) to end a message with."""
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{name}'" for name in close) + "?"


def unknown_company(company: str, known: Sequence[str]) -> UnknownCompany:
    connect = f"`uku-xero auth -c {company}` connects a new company"
    if known:
        hint = f"`uku-xero companies` lists the companies; {connect}"
    else:
        hint = f"no company is configured yet: {connect}"
    return UnknownCompany(
        f"no company '{company}'{did_you_mean(close_names(company, known))}", hint=hint
    )


def require_existing_company(settings: Settings, company: str) -> None:
    """UnknownCompany unless `company` has a token file or an Uku-side store."""
    from uku_xero_cli.connection.status import configured_companies

    known = configured_companies(settings)
    if company not in known:
        raise unknown_company(company, known)
