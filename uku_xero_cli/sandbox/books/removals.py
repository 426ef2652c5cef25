"""What Xero deletes outright instead of marking it: items.

DELETE /Items/{ItemID} answers 204 with no body (Xero's accounting spec, deleteItem). The
item then no longer appears in GET /Items, whatever If-Modified-Since says: a reader that
reads only what changed never sees it go. Whether Xero refuses to delete an item some
document uses is not documented (a guess: it does not; the lines keep their ItemCode text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.sandbox.books.errors import BooksRefused, not_found
from uku_xero_cli.sandbox.books.listing import books
from uku_xero_cli.sandbox.http import Request, Response

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.state import AccessToken, Organisation


def remove_item(sandbox: Sandbox, org: Organisation, item_id: str) -> None:
    """Delete an item as Xero does; BooksRefused (404) when there is none."""
    data = books(org)
    with sandbox.state.lock:
        if data.items.pop(item_id, None) is None:
            raise BooksRefused(f"No item {item_id}", status=404)
        data.changed()


def delete_item(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, ItemID: str
) -> Response:
    try:
        remove_item(sandbox, org, ItemID)
    except BooksRefused:
        return not_found()
    return Response.empty(204)
