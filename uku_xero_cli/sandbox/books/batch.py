"""PUT/POST of a batch of records, with Xero's two ways of reporting validation errors.

summarizeErrors=true (Xero's default): any invalid element → 400 ValidationException listing
the invalid elements, and nothing is saved. summarizeErrors=false: 200, valid elements saved,
each element answered with its own record or its own ValidationErrors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.books.errors import messages, post_data_error, validation_exception
from uku_xero_cli.sandbox.books.listing import books, envelope, flag
from uku_xero_cli.sandbox.books.prices import unit_decimals
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.xero_format import json_response

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import Record
    from uku_xero_cli.sandbox.state import AccessToken, Organisation


@dataclass
class Outcome:
    """One element of a batch: its errors, or how to save it (returning the saved record
    as it is answered)."""

    echo: Record
    errors: list[str] = field(default_factory=list)
    commit: Callable[[], Record] | None = None


@dataclass
class Batch:
    """What earlier elements of the same request claim, so later ones see it."""

    sandbox: Sandbox
    org: Organisation
    token: AccessToken
    contact_names: dict[str, Record] = field(default_factory=dict)  # new contacts by name
    invoice_numbers: set[str] = field(default_factory=set)
    # Amount each invoice receives from earlier payments of the same request.
    paying: dict[str, Any] = field(default_factory=dict)
    # Decimal places unit prices are stored with (books/prices.py).
    unitdp: int = 2


def body_elements(request: Request, key: str) -> list[Any] | Response:
    """The elements of `{"<key>": [...]}`; a bare object or list is accepted as Xero does."""
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        return post_data_error("The request body is not valid JSON")
    if isinstance(body, dict) and key in body:
        elements = body[key]
        if isinstance(elements, list):
            return elements
        return post_data_error(f"'{key}' must be a list")
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        return body
    return post_data_error(f'Expected {{"{key}": [...]}}')


def run_batch(
    sandbox: Sandbox,
    request: Request,
    org: Organisation,
    token: AccessToken,
    key: str,
    prepare: Callable[[Any, Batch], Outcome],
    error_flag: str,
    *,
    limit: int | None = None,
) -> Response:
    """Read the body's `key` elements (at most `limit`), validate every one, then save (all or
    the valid ones) and answer."""
    elements = body_elements(request, key)
    if isinstance(elements, Response):
        return elements
    elements = elements[:limit]
    summarize = flag(request, "summarizeErrors") is not False
    batch = Batch(sandbox, org, token, unitdp=unit_decimals(request))
    with sandbox.state.lock:
        outcomes = [prepare(element, batch) for element in elements]
        failed = [outcome for outcome in outcomes if outcome.errors]
        if summarize and failed:
            return validation_exception(
                [
                    {**outcome.echo, "ValidationErrors": messages(outcome.errors)}
                    for outcome in failed
                ]
            )
        answered: list[Record] = []
        for outcome in outcomes:
            if outcome.errors or outcome.commit is None:
                answered.append(
                    {
                        **outcome.echo,
                        error_flag: True,
                        "StatusAttributeString": "ERROR",
                        "ValidationErrors": messages(outcome.errors),
                    }
                )
                continue
            saved = outcome.commit()
            if not summarize:
                saved = {**saved, "StatusAttributeString": "OK"}
            answered.append(saved)
        if len(failed) < len(outcomes):
            books(org).changed()
    return json_response(envelope(sandbox, request, token, key, answered))
