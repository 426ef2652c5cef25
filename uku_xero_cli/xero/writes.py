"""The batch writes push-invoice makes: invoices and contacts, up to WRITE_BATCH a request,
each request with an Idempotency-Key so that a retry gets Xero's first answer instead of
acting twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uku_xero_cli.xero.endpoints import records_of

if TYPE_CHECKING:
    from uku_xero_cli.xero.client import XeroClient


# Elements a PUT or POST of invoices or contacts carries at most.
WRITE_BATCH = 50


@dataclass(frozen=True)
class BatchAnswer:
    """Xero's answer to a batch write: an element for each record it answered for, in its
    order. `refused_whole`: Xero refused the whole request (it saved none of them)."""

    elements: list[dict[str, Any]]
    refused_whole: bool = False


def _write(
    client: XeroClient,
    method: str,
    path: str,
    records: Sequence[Mapping[str, Any]],
    idempotency_key: str,
    params: Mapping[str, str],
) -> BatchAnswer:
    from uku_xero_cli.errors import XeroValidationError
    from uku_xero_cli.xero.parse import encode_json, loads_xero

    try:
        response = client.request(
            method,
            path,
            # summarizeErrors=false: Xero saves the valid records and answers each invalid
            # one with its own messages, instead of refusing them all for one.
            params={"summarizeErrors": "false", **params},
            content=encode_json({path: list(records)}).encode("utf-8"),
            headers={"Idempotency-Key": idempotency_key, "Content-Type": "application/json"},
        )
    except XeroValidationError as exc:
        # summarizeErrors was not honoured: Xero refused the whole request.
        body = exc.body if isinstance(exc.body, Mapping) else {}
        return BatchAnswer(
            records_of(body, path) or records_of(body, "Elements"), refused_whole=True
        )
    answer = loads_xero(response.content) if response.content else {}
    return BatchAnswer(records_of(answer, path) or records_of(answer, "Elements"))


def save_invoices(
    client: XeroClient,
    method: str,
    invoices: Sequence[Mapping[str, Any]],
    *,
    idempotency_key: str,
) -> BatchAnswer:
    """PUT (create) or POST (create or update) up to WRITE_BATCH invoices; the key makes a
    retried request get Xero's first answer instead of acting twice."""
    # unitdp=4: Xero keeps unit prices to four decimal places instead of two.
    return _write(client, method, "Invoices", invoices, idempotency_key, {"unitdp": "4"})


def create_contacts(
    client: XeroClient, contacts: Sequence[Mapping[str, Any]], *, idempotency_key: str
) -> BatchAnswer:
    """PUT up to WRITE_BATCH contacts (see `save_invoices` for the key)."""
    return _write(client, "PUT", "Contacts", contacts, idempotency_key, {})
