"""GET, PUT and POST /Contacts and /Contacts/{ContactID}."""

from __future__ import annotations

import re
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox import spec
from uku_xero_cli.sandbox.books import render
from uku_xero_cli.sandbox.books.batch import Batch, Outcome, run_batch
from uku_xero_cli.sandbox.books.documents import touch
from uku_xero_cli.sandbox.books.errors import not_found
from uku_xero_cli.sandbox.books.listing import Listing, books, flag, id_list, list_records, single
from uku_xero_cli.sandbox.books.replay import idempotent
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.seed.contacts import contact_record

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.data import OrgData, Record
    from uku_xero_cli.sandbox.state import AccessToken, Organisation

CONTACTS = Listing(
    key="Contacts",
    type_name="Contact",
    records=lambda data: data.contacts,
    render=render.contact,
    paged=True,
    default_order="Name",
    search_fields=("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Set by Xero itself, whatever a request says.
_SERVER_FIELDS = {
    "ContactID",
    "UpdatedDateUTC",
    "HasValidationErrors",
    "HasAttachments",
    "Balances",
    "IsSupplier",
    "IsCustomer",
    "ValidationErrors",
    "StatusAttributeString",
    "MergedToContactID",
    "Attachments",
    "BatchPayments",
    "Website",
    "Discount",
}


@cache
def writable_fields() -> frozenset[str]:
    properties = spec.load("accounting")["components"]["schemas"]["Contact"]["properties"]
    return frozenset(
        name
        for name, definition in properties.items()
        if not definition.get("readOnly") and name not in _SERVER_FIELDS
    )


def is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_contact(data: OrgData, key: str) -> Record | None:
    """By ContactID, or by ContactNumber as Xero also allows in the path."""
    if is_guid(key):
        return data.contacts.get(str(uuid.UUID(key)))
    for record in data.contacts.values():
        if record.get("ContactNumber") == key:
            return record
    return None


def list_contacts(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    include_archived = bool(flag(request, "includeArchived"))
    ids = id_list(request, "IDs")
    wanted = {value.lower() for value in ids} if ids is not None else None
    filters = []
    if not include_archived:
        filters.append(lambda record: record["ContactStatus"] != "ARCHIVED")
    if wanted is not None:
        filters.append(lambda record: record["ContactID"] in wanted)
    key = (include_archived, tuple(sorted(wanted)) if wanted is not None else None)
    return list_records(sandbox, request, org, token, CONTACTS, filters=filters, filter_key=key)


def get_contact(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, ContactID: str
) -> Response:
    data = books(org)
    with sandbox.state.lock:
        found = find_contact(data, ContactID)
        body = (
            render.contact_with_balances(data, found, sandbox.clock.now().date())
            if found is not None
            else None
        )
    return single(sandbox, request, token, "Contacts", body) or not_found()


def contact_problems(
    data: OrgData, fields: dict[str, Any], batch: Batch, existing: Record | None
) -> list[str]:
    """Xero's checks on a new or changed contact."""
    errors: list[str] = []
    name = fields.get("Name", existing["Name"] if existing else None)
    status = fields.get("ContactStatus", existing["ContactStatus"] if existing else "ACTIVE")
    if not isinstance(name, str) or not name.strip():
        errors.append("The contact name must be specified")
    elif len(name) > 255:
        errors.append("The contact name must be 255 characters or less")
    elif status == "ACTIVE":
        key = name.strip().casefold()
        holder = data.contact_names.get(key)
        mine = existing["ContactID"] if existing else None
        if (holder is not None and holder != mine) or key in batch.contact_names:
            errors.append(
                f"The contact name {name.strip()} is already assigned to another contact. "
                "The contact name must be unique across all active contacts"
            )
    if status not in ("ACTIVE", "ARCHIVED"):
        errors.append("ContactStatus must be ACTIVE or ARCHIVED")
    email = fields.get("EmailAddress")
    if email not in (None, "") and (not isinstance(email, str) or not _EMAIL.match(email)):
        errors.append("Email address must be valid.")
    currency = fields.get("DefaultCurrency")
    if currency not in (None, "") and currency not in data.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    return errors


def contact_fields(element: dict[str, Any]) -> dict[str, Any]:
    allowed = writable_fields()
    fields = {name: value for name, value in element.items() if name in allowed}
    if isinstance(fields.get("Name"), str):
        fields["Name"] = fields["Name"].strip()
    return fields


def _save(batch: Batch, fields: dict[str, Any], existing: Record | None) -> Record:
    data = books(batch.org)
    moment = batch.sandbox.clock.now()
    if existing is None:
        record = contact_record(str(uuid.uuid4()), fields, moment)
        data.contacts[record["ContactID"]] = record
        data.index_contact(record)
        return render.contact(data, record, False)
    old_name = existing["Name"]
    existing.update(fields)
    touch(existing, moment)
    data.index_contact(existing, old_name=old_name)
    return render.contact(data, existing, False)


def prepare_contact(
    element: Any, batch: Batch, *, may_update: bool, target: Record | None
) -> Outcome:
    echo = render.echo(element)
    if not isinstance(element, dict):
        return Outcome(echo, ["A contact must be a JSON object"])
    data = books(batch.org)
    existing = target
    contact_id = element.get("ContactID")
    if existing is None and contact_id:
        if not may_update:
            return Outcome(echo, ["A new contact cannot have a ContactID; use POST to update"])
        existing = find_contact(data, str(contact_id))
        if existing is None:
            return Outcome(echo, [f"The contact with ContactID {contact_id} could not be found"])
    fields = contact_fields(element)
    errors = contact_problems(data, fields, batch, existing)
    if errors:
        return Outcome(echo, errors)
    if fields.get("ContactStatus", "ACTIVE") == "ACTIVE" and "Name" in fields:
        batch.contact_names[fields["Name"].casefold()] = fields
    return Outcome(echo, commit=lambda: _save(batch, fields, existing))


def _contacts_batch(
    sandbox: Sandbox,
    request: Request,
    org: Organisation,
    token: AccessToken,
    *,
    may_update: bool,
    target: Record | None = None,
) -> Response:
    # An update of one contact (POST /Contacts/{id}) takes the first element only.
    limit = 1 if target is not None else None
    return run_batch(
        sandbox,
        request,
        org,
        token,
        "Contacts",
        lambda element, batch: prepare_contact(
            element, batch, may_update=may_update, target=target
        ),
        "HasValidationErrors",
        limit=limit,
    )


@idempotent
def create_contacts(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    """PUT /Contacts: create only."""
    return _contacts_batch(sandbox, request, org, token, may_update=False)


@idempotent
def save_contacts(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken
) -> Response:
    """POST /Contacts: create, or update the contacts named by ContactID."""
    return _contacts_batch(sandbox, request, org, token, may_update=True)


@idempotent
def update_contact(
    sandbox: Sandbox, request: Request, *, org: Organisation, token: AccessToken, ContactID: str
) -> Response:
    with sandbox.state.lock:
        target = find_contact(books(org), ContactID)
        if target is None:
            return not_found()
        return _contacts_batch(sandbox, request, org, token, may_update=True, target=target)
