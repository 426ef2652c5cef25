"""`uku-xero api` and `uku-xero token` in text mode: Xero's body is the document.

Pure: each function says what goes to stdout; the output policy writes it (cli/output.py:
indented and coloured at a terminal, one line elsewhere, text exactly as it came).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uku_xero_cli.cli.render.view import View

if TYPE_CHECKING:
    from uku_xero_cli.connection.api import ApiAnswer, PlannedRequest
    from uku_xero_cli.connection.token import IssuedToken


def render_body(result: ApiAnswer) -> View:
    """Xero's body as it came: JSON as a document, other text as is, nothing when empty."""
    answer = result.answer
    if answer.body is None:
        return View()
    if answer.is_json:
        return View().document(answer.body)
    return View().verbatim(str(answer.body))


def render_included(result: ApiAnswer) -> View:
    """`--include`: status, headers (rate-limit headroom among them) and body in one
    document."""
    return View().document(result.to_json())


def render_planned(planned: PlannedRequest) -> View:
    """A dry run: the request that was not sent, and a note on stderr saying so."""
    return View().document(planned.to_json()).info("Dry run: nothing was sent to Xero.")


def render_token(issued: IssuedToken) -> View:
    return View().verbatim(issued.access_token)


def render_tenant(issued: IssuedToken) -> View:
    return View().verbatim(issued.tenant_id)
