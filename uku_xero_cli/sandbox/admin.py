"""The admin API under `/_sandbox/`: JSON in and out, no auth, for tests and support engineers.

Thin over the Python objects (`sandbox.clock`, `.log`, `.faults`, `.limits`, `control`,
`accounting`). The sandbox serves loopback only; on top of that, calls carrying a browser
`Origin` that is not loopback are refused, so a web page cannot drive the admin API.
Admin calls get no faults, no rate limits, no strict checks and are not logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from uku_xero_cli.sandbox import control
from uku_xero_cli.sandbox.behaviour import behaviour_of, change_behaviour
from uku_xero_cli.sandbox.http import Request, Response
from uku_xero_cli.sandbox.ratelimit import change_limits, limits_of

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox
    from uku_xero_cli.sandbox.config import SandboxConfig

PREFIX = "/_sandbox"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
INVOICE_STATUSES = ("VOIDED", "DELETED")


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise AdminError(415, "send JSON with Content-Type: application/json")
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise AdminError(400, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AdminError(400, "the body must be a JSON object")
    return data


def _number(data: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    value = data.get(name)
    if value is None:
        if required:
            raise AdminError(400, f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AdminError(400, f"{name} must be a number")
    return float(value)


def _whole(data: dict[str, Any], name: str, default: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminError(400, f"{name} must be a whole number")
    return value


def _unknown_keys(data: dict[str, Any], known: set[str]) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise AdminError(
            400, f"unknown field(s) {', '.join(extra)}; known: {', '.join(sorted(known))}"
        )


# -- handlers --------------------------------------------------------------------------------


def index(sandbox: Sandbox, request: Request) -> Response:
    return Response.json(
        {
            "sandbox": "uku-xero built-in Xero emulator",
            "now": sandbox.clock.now().isoformat(),
            "strict": sandbox.config.strict,
            "orgs": len(sandbox.state.orgs),
            "endpoints": [
                {"method": method, "path": PREFIX + path, "description": text}
                for method, path, _, text in ENDPOINTS
            ],
        }
    )


def orgs(sandbox: Sandbox, request: Request) -> Response:
    with sandbox.state.lock:
        found = [control.org_summary(o) for o in sandbox.state.orgs.values()]
    return Response.json({"orgs": found})


def requests(sandbox: Sandbox, request: Request) -> Response:
    status = request.arg("status")
    if status is not None and not status.isdigit():
        raise AdminError(400, "status must be a number")
    entries = sandbox.log.entries(
        method=request.arg("method"),
        path_prefix=request.arg("path"),
        status=int(status) if status else None,
    )
    return Response.json({"count": len(entries), "requests": [e.as_json() for e in entries]})


def clear_requests(sandbox: Sandbox, request: Request) -> Response:
    return Response.json({"cleared": sandbox.log.clear()})


def clock(sandbox: Sandbox, request: Request) -> Response:
    return Response.json({"now": sandbox.clock.now().isoformat()})


def advance_clock(sandbox: Sandbox, request: Request) -> Response:
    data = _body(request)
    _unknown_keys(data, {"seconds"})
    seconds = _number(data, "seconds", required=True)
    assert seconds is not None
    if seconds < 0:
        raise AdminError(400, "seconds must not be negative: the clock only moves forward")
    return Response.json({"now": sandbox.clock.advance(seconds).isoformat()})


def faults(sandbox: Sandbox, request: Request) -> Response:
    return Response.json(sandbox.faults.snapshot())


def set_faults(sandbox: Sandbox, request: Request) -> Response:
    data = _body(request)
    _unknown_keys(data, {"latency", "error_rate", "seed", "fail"})
    rules = data.get("fail") or []
    if isinstance(rules, dict):
        rules = [rules]
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise AdminError(400, "fail must be an object or a list of objects")
    rule_keys = {
        "path",
        "method",
        "status",
        "hang",
        "drop",
        "count",
        "process",
        "body",
        "retry_after",
    }
    for rule in rules:
        _unknown_keys(rule, rule_keys)
        if not isinstance(rule.get("path"), str):
            raise AdminError(400, "each fail rule needs a path (prefix), e.g. /connect/token")
    try:
        sandbox.faults.set(
            latency=_number(data, "latency"),
            error_rate=_number(data, "error_rate"),
            seed=_whole(data, "seed"),
        )
        for rule in rules:
            sandbox.faults.fail(
                rule["path"],
                status=_whole(rule, "status"),
                hang=_number(rule, "hang"),
                count=_whole(rule, "count", 1) or 1,
                method=rule.get("method"),
                process=bool(rule.get("process", False)),
                drop=bool(rule.get("drop", False)),
                body=rule.get("body"),
                retry_after=_whole(rule, "retry_after"),
            )
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return Response.json(sandbox.faults.snapshot())


def clear_faults(sandbox: Sandbox, request: Request) -> Response:
    sandbox.faults.clear()
    return Response.json(sandbox.faults.snapshot())


def rate_limit(sandbox: Sandbox, request: Request) -> Response:
    return Response.json(sandbox.limits.snapshot())


def force_rate_limit(sandbox: Sandbox, request: Request) -> Response:
    data = _body(request)
    _unknown_keys(data, {"kind", "count", "retry_after"})
    try:
        sandbox.limits.force(
            str(data.get("kind", "")),
            _whole(data, "count", 1) or 0,
            _whole(data, "retry_after"),
        )
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return Response.json(sandbox.limits.snapshot())


def reset_rate_limit(sandbox: Sandbox, request: Request) -> Response:
    sandbox.limits.reset()
    return Response.json(sandbox.limits.snapshot())


def _settings_endpoints(
    name: str,
    read: Callable[[SandboxConfig], dict[str, Any]],
    change: Callable[[SandboxConfig, dict[str, Any]], dict[str, Any]],
) -> tuple[Handler, Handler]:
    """GET and PATCH handlers over one table of live-changeable settings."""

    def show(sandbox: Sandbox, request: Request) -> Response:
        return Response.json(read(sandbox.config))

    def update(sandbox: Sandbox, request: Request) -> Response:
        try:
            return Response.json(change(sandbox.config, _body(request)))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None

    show.__name__, update.__name__ = name, f"change_{name}"
    return show, update


limits, change_limits_live = _settings_endpoints("limits", limits_of, change_limits)
behaviour, change_behaviour_live = _settings_endpoints("behaviour", behaviour_of, change_behaviour)


def expire_tokens(sandbox: Sandbox, request: Request) -> Response:
    return Response.json({"expired": control.expire_access_tokens(sandbox)})


def revoke_org(sandbox: Sandbox, request: Request, tenant_id: str) -> Response:
    return Response.json(control.revoke_org(sandbox, tenant_id))


def connections(sandbox: Sandbox, request: Request) -> Response:
    with sandbox.state.lock:
        found = [control.connection_summary(c) for c in sandbox.state.connections.values()]
    return Response.json({"connections": found})


def remove_connection(sandbox: Sandbox, request: Request, id: str) -> Response:
    removed = control.disconnect(sandbox, id)
    return Response.json({"removed": [control.connection_summary(c) for c in removed]})


def _tenant_list(data: dict[str, Any]) -> list[str] | None:
    tenants = data.get("tenants")
    if tenants is not None and (
        not isinstance(tenants, list) or not all(isinstance(t, str) for t in tenants)
    ):
        raise AdminError(400, "tenants must be a list of tenant ids")
    return tenants


def consent(sandbox: Sandbox, request: Request) -> Response:
    data = _body(request)
    _unknown_keys(data, {"mode", "tenants", "user"})
    user = data.get("user")
    if user is not None and not isinstance(user, str):
        raise AdminError(400, "user must be a user id or email")
    try:
        control.set_consent(sandbox, str(data.get("mode", "")), _tenant_list(data), user)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    signing_in = sandbox.state.find_user(sandbox.config.consent_user)
    return Response.json(
        {
            "mode": sandbox.config.consent,
            "tenants": sandbox.config.consent_tenants,
            "user": signing_in.user_id if signing_in else None,
        }
    )


def users(sandbox: Sandbox, request: Request) -> Response:
    with sandbox.state.lock:
        found = [control.user_summary(u) for u in sandbox.state.users.values()]
    return Response.json({"users": found})


def add_user(sandbox: Sandbox, request: Request) -> Response:
    data = _body(request)
    _unknown_keys(data, {"given_name", "family_name", "tenants"})
    try:
        user = control.add_user(
            sandbox,
            str(data.get("given_name", "")),
            str(data.get("family_name", "")),
            _tenant_list(data),
        )
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return Response.json(control.user_summary(user), status=201)


def _accounting(name: str) -> Callable[..., Any]:
    from uku_xero_cli.sandbox import accounting

    function = getattr(accounting, name, None)
    if function is None:
        raise AdminError(501, f"this sandbox build has no accounting.{name}")
    return function


def _as_xero(data: dict[str, Any], status: int = 200) -> Response:
    """Accounting records encoded as the API encodes them (Decimal money as numbers)."""
    from uku_xero_cli.sandbox.xero_format import json_response

    return json_response(data, status)


def contacts(sandbox: Sandbox, request: Request, tenant_id: str) -> Response:
    organisation = control.org(sandbox, tenant_id)
    return _as_xero({"Contacts": _accounting("contact_list")(sandbox, organisation)})


def invoice(sandbox: Sandbox, request: Request, tenant_id: str, invoice_id: str) -> Response:
    organisation = control.org(sandbox, tenant_id)
    try:
        found = _accounting("invoice")(sandbox, organisation, invoice_id)
    except ValueError as exc:
        raise AdminError(getattr(exc, "status", 400), str(exc)) from None
    return _as_xero({"invoice": found})


def record_payment(sandbox: Sandbox, request: Request, tenant_id: str, invoice_id: str) -> Response:
    data = _body(request)
    _unknown_keys(data, {"amount", "date"})
    try:
        amount = Decimal(str(data["amount"]))
        paid_on = date.fromisoformat(str(data["date"])) if "date" in data else None
    except KeyError:
        raise AdminError(400, 'amount is required, e.g. "12.34"') from None
    except (InvalidOperation, ValueError):
        raise AdminError(400, "amount must be a decimal string and date YYYY-MM-DD") from None
    if not amount.is_finite() or amount <= 0:
        raise AdminError(400, "amount must be positive")
    paid_on = paid_on or sandbox.clock.now().date()
    organisation = control.org(sandbox, tenant_id)
    try:
        result = _accounting("record_payment")(sandbox, organisation, invoice_id, amount, paid_on)
    except ValueError as exc:
        # The accounting module's refusals carry Xero's status (400, or 404 for no invoice).
        raise AdminError(getattr(exc, "status", 400), str(exc)) from None
    return _as_xero({"payment": result}, status=201)


def set_invoice_status(
    sandbox: Sandbox, request: Request, tenant_id: str, invoice_id: str
) -> Response:
    data = _body(request)
    _unknown_keys(data, {"status"})
    status = str(data.get("status", "")).upper()
    if status not in INVOICE_STATUSES:
        raise AdminError(400, f"status must be one of {', '.join(INVOICE_STATUSES)}")
    organisation = control.org(sandbox, tenant_id)
    try:
        result = _accounting("set_invoice_status")(sandbox, organisation, invoice_id, status)
    except ValueError as exc:
        raise AdminError(getattr(exc, "status", 400), str(exc)) from None
    return _as_xero({"invoice": result})


def delete_item(sandbox: Sandbox, request: Request, tenant_id: str, item_id: str) -> Response:
    organisation = control.org(sandbox, tenant_id)
    try:
        _accounting("delete_item")(sandbox, organisation, item_id)
    except ValueError as exc:
        raise AdminError(getattr(exc, "status", 400), str(exc)) from None
    return Response.json({"deleted": {"item_id": item_id}})


def delete_account(sandbox: Sandbox, request: Request, tenant_id: str, account_id: str) -> Response:
    organisation = control.org(sandbox, tenant_id)
    try:
        result = _accounting("delete_account")(sandbox, organisation, account_id)
    except ValueError as exc:
        raise AdminError(getattr(exc, "status", 400), str(exc)) from None
    return _as_xero({"account": result})


def set_account_status(
    sandbox: Sandbox, request: Request, tenant_id: str, account_id: str
) -> Response:
    data = _body(request)
    _unknown_keys(data, {"status"})
    organisation = control.org(sandbox, tenant_id)
    try:
        status = str(data.get("status", ""))
        result = _accounting("set_account_status")(sandbox, organisation, account_id, status)
    except ValueError as exc:
        raise AdminError(getattr(exc, "status", 400), str(exc)) from None
    return _as_xero({"account": result})


Handler = Callable[..., Response]

ENDPOINTS: list[tuple[str, str, Handler, str]] = [
    ("GET", "", index, "this index"),
    ("GET", "/orgs", orgs, "organisations: tenant ids, names, record counts"),
    ("GET", "/requests", requests, "the request log (?path= prefix, ?method=, ?status=)"),
    ("DELETE", "/requests", clear_requests, "clear the request log"),
    ("GET", "/clock", clock, "the sandbox's current time"),
    ("POST", "/clock/advance", advance_clock, '{"seconds": N}: move the clock forward'),
    ("GET", "/faults", faults, "standing faults and pending fault rules"),
    (
        "POST",
        "/faults",
        set_faults,
        '{"latency": s, "error_rate": 0-1, "seed": n, "fail": {"path": prefix, "method": m, '
        '"status": code | "hang": s, "process": bool, "count": n, "body": json}}',
    ),
    ("DELETE", "/faults", clear_faults, "remove every fault and release hanging requests"),
    ("GET", "/rate-limit", rate_limit, "limits, calls counted per tenant and app, forced 429s"),
    (
        "POST",
        "/rate-limit/force",
        force_rate_limit,
        '{"kind": "minute"|"day"|"concurrent"|"appminute", "count": N, "retry_after": s}',
    ),
    ("DELETE", "/rate-limit", reset_rate_limit, "forget counted calls and forced 429s"),
    ("GET", "/limits", limits, "rate limits and windows"),
    ("PATCH", "/limits", change_limits_live, "change limits or windows live"),
    (
        "GET",
        "/behaviour",
        behaviour,
        "the switches for Xero behaviour no source settles, harsher case by default",
    ),
    ("PATCH", "/behaviour", change_behaviour_live, "change those switches live"),
    ("POST", "/tokens/expire", expire_tokens, "expire every access token now"),
    ("POST", "/orgs/{tenant_id}/revoke", revoke_org, "revoke every token and connection of an org"),
    ("GET", "/connections", connections, "every connection of every app and user"),
    (
        "DELETE",
        "/connections/{id}",
        remove_connection,
        "remove a connection (by connection id or tenant id), as disconnecting in Xero does",
    ),
    (
        "POST",
        "/consent",
        consent,
        '{"mode": "auto"|"deny"|"page", "tenants": [tenant ids], "user": id or email}: how '
        "authorize answers, and who signs in",
    ),
    ("GET", "/users", users, "the Xero logins: user id (xero_userid), name, email, tenants"),
    (
        "POST",
        "/users",
        add_user,
        '{"given_name": s, "family_name": s, "tenants": [tenant ids]}: another Xero login',
    ),
    (
        "GET",
        "/orgs/{tenant_id}/contacts",
        contacts,
        "the organisation's contacts, archived too, as Xero's API shows them",
    ),
    (
        "GET",
        "/orgs/{tenant_id}/invoices/{invoice_id}",
        invoice,
        "one invoice, by InvoiceID or InvoiceNumber, as Xero's API shows it",
    ),
    (
        "POST",
        "/orgs/{tenant_id}/invoices/{invoice_id}/payments",
        record_payment,
        '{"amount": "12.34", "date": "YYYY-MM-DD"}: record a payment made inside Xero',
    ),
    (
        "POST",
        "/orgs/{tenant_id}/invoices/{invoice_id}/status",
        set_invoice_status,
        '{"status": "VOIDED"|"DELETED"}: change an invoice inside Xero',
    ),
    (
        "DELETE",
        "/orgs/{tenant_id}/items/{item_id}",
        delete_item,
        "delete an item inside Xero (it leaves GET /Items)",
    ),
    (
        "DELETE",
        "/orgs/{tenant_id}/accounts/{account_id}",
        delete_account,
        "delete an unused, non-system account inside Xero (it leaves GET /Accounts)",
    ),
    (
        "POST",
        "/orgs/{tenant_id}/accounts/{account_id}/status",
        set_account_status,
        '{"status": "ARCHIVED"|"ACTIVE"}: archive an account inside Xero, or restore it',
    ),
]


def _origin_allowed(request: Request) -> bool:
    origin = request.header("origin")
    if not origin:
        return True
    return (urlsplit(origin).hostname or "") in LOOPBACK


def _guarded(handler: Handler) -> Handler:
    def run(sandbox: Sandbox, request: Request, **params: str) -> Response:
        if not _origin_allowed(request):
            return Response.json({"error": "the admin API takes no calls from web pages"}, 403)
        try:
            return handler(sandbox, request, **params)
        except AdminError as exc:
            return Response.json({"error": str(exc)}, status=exc.status)
        except LookupError as exc:
            return Response.json({"error": str(exc).strip("'\"")}, status=404)

    run.__name__ = f"admin_{handler.__name__}"
    return run


def register(sandbox: Sandbox) -> None:
    """Add this module's routes to `sandbox.router`."""
    for method, path, handler, _ in ENDPOINTS:
        sandbox.router.add(method, PREFIX + path, _guarded(handler), kind="admin")
