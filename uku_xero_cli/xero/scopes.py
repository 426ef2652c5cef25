"""Which OAuth scope an accounting API call needs, to name it when Xero refuses one for scope.

Xero's 401 `AuthorizationUnsuccessful` says only that the token may not make the call, not
which scope is missing, so the tool works it out from the endpoint.
"""

from __future__ import annotations

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


def with_scope(granted: list[str], scope: str) -> str:
    """The granted scopes plus `scope`, space-separated, for an `auth --scopes` hint."""
    return " ".join(dict.fromkeys([*granted, scope]))
