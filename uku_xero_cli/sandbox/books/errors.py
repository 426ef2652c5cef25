"""Xero's accounting error bodies."""

from __future__ import annotations

from typing import Any

from uku_xero_cli.sandbox.guard import problem
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


def not_found() -> Response:
    return problem(404, "Not Found", "The resource you're looking for cannot be found")


def messages(errors: list[str]) -> list[dict[str, str]]:
    return [{"Message": text} for text in errors]
