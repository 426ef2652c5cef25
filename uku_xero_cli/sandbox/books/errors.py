"""Xero's accounting error bodies."""

from __future__ import annotations

from typing import Any

from uku_xero_cli.sandbox.http import Response
from uku_xero_cli.sandbox.xero_format import json_response


class BooksRefused(ValueError):
    """A change Xero would refuse; `message` is Xero's validation message. A ValueError, so
    callers that treat bad input as ValueError (the admin API) need not know this type."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def validation_exception(elements: list[dict[str, Any]]) -> Response:
    return json_response(
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
        status=400,
    )


def query_error(message: str) -> Response:
    """A `where` or `order` Xero cannot parse."""
    return json_response(
        {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, status=400
    )


def post_data_error(message: str) -> Response:
    """A request body that is not the JSON Xero expects."""
    return json_response(
        {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}, status=400
    )


# Xero's 404 is this sentence as the whole body, not JSON: pyxero's tests record it "verified
# from the live API"; xero-node#21 shows an old SDK parsing it as a form; Xero-NetStandard#413
# and #471 show today's SDK putting the body verbatim into its message ("Xero API error
# calling GetInvoices: The resource you're looking for cannot be found"). The Content-Type
# Xero sends with it is not recorded anywhere we found: text/plain is a guess.
NOT_FOUND = "The resource you're looking for cannot be found"


def not_found() -> Response:
    return Response.text(NOT_FOUND, 404)


def messages(errors: list[str]) -> list[dict[str, str]]:
    return [{"Message": text} for text in errors]
