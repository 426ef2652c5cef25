"""Strict mode: refuse requests that do not fit Xero's OpenAPI spec, naming the problem.

Routes that declare `spec=("accounting" | "identity", template)` are checked with openapi-core
against the vendored spec, plus what openapi-core leaves out: unknown query parameters, repeated
ones, and bodies sent to operations that take none. The OAuth endpoints have no operation in the
spec, so their query strings and forms are checked against the fields Xero documents.

openapi-core is an optional dependency (extras `strict` and `test`) and is imported only here.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from uku_xero_cli.errors import UsageError
from uku_xero_cli.sandbox import spec as specs
from uku_xero_cli.sandbox.http import Request, Response, Route

FORM = "application/x-www-form-urlencoded"

# Fields of the OAuth endpoints as Xero documents them: (required, also allowed).
AUTHORIZE_QUERY = (
    {"response_type", "client_id", "redirect_uri", "scope"},
    {"state", "code_challenge", "code_challenge_method", "nonce", "prompt"},
)
TOKEN_FORMS = {
    "authorization_code": ({"code", "redirect_uri"}, {"client_id", "code_verifier"}),
    "refresh_token": ({"refresh_token"}, {"client_id", "scope"}),
    "client_credentials": (set(), {"client_id", "scope"}),
}
REVOCATION_FORM = ({"token"}, {"client_id", "token_type_hint"})


def refusal(detail: str) -> Response:
    return Response.json({"Title": "Strict mode", "Status": 400, "Detail": detail}, status=400)


@dataclass
class _OpenAPIRequest:
    """The request as openapi-core reads it (its `Request` and `SupportsPathPattern`)."""

    host_url: str
    path: str
    path_pattern: str
    method: str
    parameters: Any
    content_type: str
    body: bytes | None


@dataclass
class _Operation:
    """What strict mode needs of one spec operation, resolved once."""

    label: str  # "GET /Contacts" as messages name it
    query: dict[str, tuple[str, str]]  # lower-case name → (spec's name, schema type)
    path_names: list[str]  # in the order the template names them
    has_body: bool


class _SpecValidators:
    """openapi-core validators of one spec; built once per process (the spec is big)."""

    def __init__(self, name: str) -> None:
        from jsonschema_path import SchemaPath
        from openapi_core.validation.request.validators import (
            V30RequestBodyValidator,
            V30RequestParametersValidator,
        )

        self.name = name
        self.raw = specs.load(name)
        server = urlsplit(self.raw["servers"][0]["url"])
        self.host_url = f"{server.scheme}://{server.netloc}"
        self.base_path = server.path.rstrip("/")  # "/api.xro/2.0" for accounting
        spec = SchemaPath.from_dict(self.raw)
        # The vendored spec is Xero's own; validating the spec itself would cost seconds.
        self.parameters = V30RequestParametersValidator(spec, spec_validator_cls=None)
        self.body = V30RequestBodyValidator(spec, spec_validator_cls=None)
        self._operations: dict[tuple[str, str], _Operation | None] = {}
        self._lock = threading.Lock()

    def operation(self, method: str, template: str) -> _Operation | None:
        key = (method, template)
        with self._lock:
            if key not in self._operations:
                self._operations[key] = self._resolve(method, template)
            return self._operations[key]

    def _resolve(self, method: str, template: str) -> _Operation | None:
        item = self.raw["paths"].get(template)
        if item is None or method.lower() not in item:
            return None
        operation = item[method.lower()]
        query: dict[str, tuple[str, str]] = {}
        for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
            param = self._deref(param)
            if param["in"] == "query":
                kind = self._deref(param.get("schema", {})).get("type", "string")
                query[param["name"].lower()] = (param["name"], kind)
        return _Operation(
            label=f"{method} {template}",
            query=query,
            path_names=re.findall(r"\{(\w+)\}", template),
            has_body="requestBody" in operation,
        )

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.raw
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node


@cache
def _validators(name: str) -> _SpecValidators:
    return _SpecValidators(name)


class StrictValidator:
    def __init__(self) -> None:
        try:
            import openapi_core  # noqa: F401
        except ImportError:
            raise UsageError(
                "strict mode checks requests against Xero's OpenAPI spec and needs openapi-core, "
                "which is not installed",
                hint="install the strict extra: pip install '.[strict]' in a checkout of uku-xero "
                "(or pip install openapi-core)",
            ) from None

    def check(self, request: Request, route: Route) -> Response | None:
        """None when the request fits; otherwise a 400 whose Detail names the problem."""
        if route.kind == "admin":
            return None
        if route.spec is not None:
            return self._check_spec(request, route)
        if route.kind == "identity":
            return _check_oauth(request)
        return None

    def _check_spec(self, request: Request, route: Route) -> Response | None:
        assert route.spec is not None
        name, template = route.spec
        validators = _validators(name)
        operation = validators.operation(request.method, template)
        if operation is None:
            return _emulator_bug(f"route names {request.method} {template}, not in the {name} spec")
        # Our routes may name path parameters differently; they come in the template's order.
        found = route.pattern.match(request.path)
        values = list(found.groups()) if found else []
        if len(values) != len(operation.path_names):
            return _emulator_bug(f"{route.name} has other path parameters than {template}")
        path_params = dict(zip(operation.path_names, values, strict=True))

        query, problem = _spec_query(request, operation)
        if problem:
            return refusal(problem)
        body = request.body or None
        if body is not None and not operation.has_body:
            return refusal(f"{operation.label} takes no request body")

        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(list(request.headers.items())),
            path=path_params,
        )
        candidate = _OpenAPIRequest(
            host_url=validators.host_url,
            path=validators.base_path + template,
            path_pattern=validators.base_path + template,
            method=request.method.lower(),
            parameters=parameters,
            content_type=(request.header("content-type") or "").lower(),
            body=body,
        )
        for error in validators.parameters.iter_errors(candidate):
            return refusal(_describe(error, operation.label))
        if operation.has_body:
            for error in validators.body.iter_errors(candidate):
                return refusal(_describe(error, operation.label))
        return None


def _emulator_bug(detail: str) -> Response:
    # A route registered against the wrong spec operation is the emulator's fault, not the
    # client's: answer 500 so no test mistakes it for a strict-mode verdict on its request.
    return Response.json(
        {"Title": "Strict mode misconfigured", "Status": 500, "Detail": detail}, status=500
    )


def _spec_query(request: Request, operation: _Operation) -> tuple[list[tuple[str, str]], str]:
    """Query pairs renamed to the spec's spelling (Xero ignores case), or a problem."""
    pairs: list[tuple[str, str]] = []
    for key, values in request.query.items():
        known = operation.query.get(key.lower())
        if known is None:
            return [], f"query parameter '{key}' is not in Xero's spec for {operation.label}"
        spec_name, kind = known
        if len(values) > 1 and kind != "array":
            return [], (
                f"query parameter '{key}' is given {len(values)} times; "
                f"{operation.label} takes one value"
            )
        # openapi-core also takes yes/no/1/0 for booleans; Xero parses true and false only.
        if kind == "boolean" and values[-1].lower() not in ("true", "false"):
            return [], (
                f"query parameter '{key}' must be true or false for {operation.label}, "
                f"not '{values[-1]}'"
            )
        pairs.extend((spec_name, value) for value in values)
    return pairs, ""


def _describe(error: Exception, label: str) -> str:
    from openapi_core.validation.request.exceptions import (
        MissingRequiredParameter,
        MissingRequiredRequestBody,
        ParameterValidationError,
        RequestBodyValidationError,
    )

    if isinstance(error, MissingRequiredParameter):
        return f"{_param_label(error.location, error.name)} is required by Xero's spec for {label}"
    if isinstance(error, ParameterValidationError):
        what = _param_label(error.location, error.name)
        return f"{what} does not fit Xero's spec for {label}: {_reason(error.__cause__)}"
    if isinstance(error, MissingRequiredRequestBody):
        return f"{label} needs a request body"
    if isinstance(error, RequestBodyValidationError):
        return f"request body does not fit Xero's spec for {label}: {_reason(error.__cause__)}"
    return f"request does not fit Xero's spec for {label}: {error}"


def _param_label(location: str, name: str) -> str:
    return f"header '{name}'" if location == "header" else f"{location} parameter '{name}'"


def _reason(cause: BaseException | None) -> str:
    """The first schema errors in plain words, each with where in the value it is."""
    if cause is None:
        return "invalid"
    schema_errors = list(getattr(cause, "schema_errors", []) or [])
    if not schema_errors:
        return str(cause)
    parts = []
    for item in schema_errors[:3]:
        where = "".join(
            f"[{step}]" if isinstance(step, int) else f".{step}"
            for step in getattr(item, "absolute_path", [])
        ).lstrip(".")
        message = getattr(item, "message", str(item))
        parts.append(f"{where}: {message}" if where else message)
    more = len(schema_errors) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _check_oauth(request: Request) -> Response | None:
    path = request.path.rstrip("/").lower()
    if path == "/identity/connect/authorize" and request.method == "GET":
        return _check_fields(
            "query parameter", request.query, *AUTHORIZE_QUERY, "GET /identity/connect/authorize"
        )
    if path == "/connect/token" and request.method == "POST":
        fields, problem = _form(request, "POST /connect/token")
        if problem:
            return refusal(problem)
        grant = (fields.get("grant_type") or [""])[-1]
        if grant not in TOKEN_FORMS:
            known = ", ".join(TOKEN_FORMS)
            return refusal(f"grant_type '{grant}' is not one Xero accepts ({known})")
        if "client_secret" in fields:
            return refusal(
                "client_secret belongs in the Authorization: Basic header at Xero, "
                "not in the form of POST /connect/token"
            )
        required, allowed = TOKEN_FORMS[grant]
        return _check_fields(
            "form field",
            fields,
            required | {"grant_type"},
            allowed,
            f"POST /connect/token ({grant})",
        )
    if path == "/connect/revocation" and request.method == "POST":
        fields, problem = _form(request, "POST /connect/revocation")
        if problem:
            return refusal(problem)
        return _check_fields("form field", fields, *REVOCATION_FORM, "POST /connect/revocation")
    return None


def _form(request: Request, label: str) -> tuple[dict[str, list[str]], str]:
    from urllib.parse import parse_qs

    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        shown = content_type or "none"
        return {}, f"{label} takes a {FORM} body (Content-Type was {shown})"
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return {}, f"{label}: the form is not UTF-8"
    return parse_qs(text, keep_blank_values=True), ""


def _check_fields(
    kind: str,
    given: dict[str, list[str]],
    required: set[str],
    allowed: set[str],
    label: str,
) -> Response | None:
    for name, values in given.items():
        if name not in required and name not in allowed:
            return refusal(f"{kind} '{name}' is not one Xero documents for {label}")
        if len(values) > 1:
            return refusal(f"{kind} '{name}' is given {len(values)} times in {label}")
    for name in sorted(required):
        if not (given.get(name) or [""])[-1]:
            return refusal(f"{kind} '{name}' is required for {label}")
    return None
