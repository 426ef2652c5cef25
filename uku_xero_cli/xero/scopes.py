"""The scopes uku-xero asks for, which one an accounting API call needs, and which features
(and so which commands) the granted scopes allow. `settings` imports it for the default: it
imports nothing beyond `dataclasses` at import time.

Xero's 401 `AuthorizationUnsuccessful` says only that the token may not make the call, not
which scope is missing, so the tool works it out from the endpoint. `status` checks the
granted scopes against `features()`: reload's come from the data-set registry.
"""

from __future__ import annotations

from dataclasses import dataclass

# What `auth` asks for by default: the narrowest set of the granular scopes (required of Xero
# apps created from 2 March 2026) that covers every feature below (tests/test_scopes.py checks
# it): contacts read and written (push-invoice creates contacts), invoices read and written
# (check-paid reads payments inside invoices; nothing calls /Payments), settings, bank
# transactions and manual journals read only. `openid profile email` name the user who signed
# in; `offline_access` gives the refresh token.
GRANULAR = (
    "offline_access openid profile email accounting.contacts accounting.settings.read "
    "accounting.invoices accounting.banktransactions.read accounting.manualjournals.read"
)
# The same for an older app still on the broad accounting.transactions (Xero keeps it for
# those until September 2027): it covers invoices, bank transactions and manual journals.
BROAD = (
    "offline_access openid profile email accounting.contacts accounting.settings.read "
    "accounting.transactions"
)
# `scopes` (config.toml, UKU_XERO_SCOPES, `auth --scopes`) takes one of these names for its set.
PRESETS = {"granular": GRANULAR, "broad": BROAD}


def requested_scopes(text: str) -> tuple[str, ...]:
    """The scopes `text` asks for: a preset's (`granular`, `broad`) or the listed ones."""
    words = text.split()
    if len(words) == 1 and words[0].lower() in PRESETS:
        words = PRESETS[words[0].lower()].split()
    return tuple(dict.fromkeys(words))


# The granular scope (apps created from March 2026) of each accounting collection.
_BY_COLLECTION = {
    "contacts": "accounting.contacts",
    "contactgroups": "accounting.contacts",
    "items": "accounting.settings",
    "taxrates": "accounting.settings",
    "currencies": "accounting.settings",
    "organisation": "accounting.settings",
    "accounts": "accounting.settings",
    "trackingcategories": "accounting.settings",
    "brandingthemes": "accounting.settings",
    "invoices": "accounting.invoices",
    "creditnotes": "accounting.invoices",
    "payments": "accounting.payments",
    "banktransactions": "accounting.banktransactions",
    "manualjournals": "accounting.manualjournals",
}
_API_ROOT = "api.xro/2.0"


def endpoint(method: str, url: str) -> str:
    """`GET /Invoices` for display: the path below the API root, without the query."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    _, found, below = path.partition(_API_ROOT)
    return f"{method.upper()} {below if found else path or '/'}"


def needed_scope(method: str, url: str) -> str | None:
    """The scope a call needs (`.read` for GET), or None for a collection not known here."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    _, found, below = path.partition(_API_ROOT)
    if not found:
        return None
    collection = below.strip("/").split("/")[0].lower()
    scope = _BY_COLLECTION.get(collection)
    if scope is None:
        return None
    return f"{scope}.read" if method.upper() in ("GET", "HEAD") else scope


def read_scope(collection: str) -> str:
    """The scope reading a collection needs (`Items` → `accounting.settings.read`)."""
    return f"{_BY_COLLECTION[collection.lower()]}.read"


def with_scope(granted: list[str], scope: str) -> str:
    """The granted scopes plus `scope`, space-separated, for an `auth --scopes` hint."""
    return " ".join(dict.fromkeys([*granted, scope]))


# Broad scopes of older Xero apps and the granular ones they stand in for.
_TRANSACTIONS = (
    "accounting.invoices",
    "accounting.payments",
    "accounting.banktransactions",
    "accounting.manualjournals",
)
_BROAD = {
    "accounting.transactions": _TRANSACTIONS,
    "accounting.transactions.read": tuple(f"{scope}.read" for scope in _TRANSACTIONS),
}


def effective_scopes(granted: list[str]) -> set[str]:
    """Granted scopes with what they imply: a write scope includes its `.read`; the broad
    accounting.transactions includes the granular transaction scopes."""
    have = set(granted)
    for broad, granular in _BROAD.items():
        if broad in have:
            have.update(granular)
    have.update(f"{scope}.read" for scope in list(have) if not scope.endswith(".read"))
    return have


@dataclass(frozen=True)
class Feature:
    """Something the tool does, the scopes it needs (each one is required), and the commands
    that cannot do their work without it."""

    name: str
    needs: tuple[str, ...]
    what: str
    blocks: tuple[str, ...] = ()


_REFRESH = Feature(
    "refresh",
    ("offline_access",),
    "stay connected past 30 minutes",
    ("every command, 30 minutes after auth",),
)
_COMMANDS = (
    # GET and PUT /Contacts (a client's contact is looked up, or created), GET/PUT/POST
    # /Invoices.
    Feature(
        "push-invoice",
        ("accounting.invoices", "accounting.contacts"),
        "send Uku invoices to Xero, creating their contacts",
        ("push-invoice",),
    ),
    # GET /Invoices only: an invoice's answer carries its payments.
    Feature("check-paid", ("accounting.invoices.read",), "read paid amounts back", ("check-paid",)),
)


def features() -> tuple[Feature, ...]:
    """Every feature `status` checks: staying connected, reload's (one per group of data
    sets, from the registry), then the commands that write or read back invoices."""
    from uku_xero_cli.sync.datasets import features as reload_features

    return (_REFRESH, *reload_features(), *_COMMANDS)


def missing_scopes(granted: list[str]) -> list[tuple[Feature, list[str]]]:
    """Each feature with the scopes it needs that `granted` lacks (empty: it can work)."""
    have = effective_scopes(granted)
    return [(f, [s for s in f.needs if s not in have]) for f in features()]
