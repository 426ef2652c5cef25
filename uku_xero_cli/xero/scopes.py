"""Which OAuth scope an accounting API call needs, and which features the granted scopes allow.

Xero's 401 `AuthorizationUnsuccessful` says only that the token may not make the call, not
which scope is missing, so the tool works it out from the endpoint. `status` checks the
granted scopes against `features()`: reload's come from the data-set registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

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
    path = urlsplit(url).path
    _, found, below = path.partition(_API_ROOT)
    return f"{method.upper()} {below if found else path or '/'}"


def needed_scope(method: str, url: str) -> str | None:
    """The scope a call needs (`.read` for GET), or None for a collection not known here."""
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
    """Something the tool does, and the scopes it needs (each one is required)."""

    name: str
    needs: tuple[str, ...]
    what: str


_REFRESH = Feature("refresh", ("offline_access",), "stay connected past 30 minutes")
_COMMANDS = (
    Feature("push-invoice", ("accounting.invoices",), "send Uku invoices to Xero"),
    Feature("check-paid", ("accounting.invoices.read",), "read paid amounts back"),
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
