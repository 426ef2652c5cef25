"""What Xero's front door refuses before any handler sees the request: an over-long query.

Past a query string of 2,048 characters (as sent, percent-encoded) Xero answers 404 with its
plain not-found sentence, not 414: 52 GUIDs in `IDs` pass and 53 fail (xero-node#404, its
SDK sending `IDs=a%2Cb…`; XeroAPI/Xero-OpenAPI#534 from Xero-Java#328, the same 52/53 with
`&page=1`); 55 pass and 56 fail when commas go unencoded (Xero-NetStandard#413); a whole
`/Contacts` URL over about 2,091 characters fails (Xero-NetStandard#471). All of these fit a
cap on the query string alone — IIS's request filtering, whose default `maxQueryString` is
2,048 and whose refusal is a 404 (the IIS "404.15 query string too long" page quoted in
Xero-Net#280) — and none fits a cap on the whole URL at 2,048. The limit is
`config.max_query_length`.

It applies to the hosts of the API (`/api.xro/…` and `/connections`); Xero's identity hosts
are not known to share it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.sandbox.books.errors import not_found

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.config import SandboxConfig
    from uku_xero_cli.sandbox.http import Request, Response

API_PATHS = ("/api.xro/", "/connections")


def refuse(config: SandboxConfig, request: Request) -> Response | None:
    """Xero's 404 for a request to the API whose query string is over the cap, else None."""
    if not request.path.lower().startswith(API_PATHS):
        return None
    if len(request.query_string) <= config.max_query_length:
        return None
    return not_found()
