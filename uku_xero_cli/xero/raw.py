"""A request to Xero as a person writes it for `uku-xero api`, and Xero's answer as it came.

A path is written as Xero's documentation writes it: `Invoices/UKU-2026-0042` or
`Contacts?where=ContactStatus=="ARCHIVED"`, with or without `/api.xro/2.0/`, relative to the
accounting API (or, for `identity`, to the identity API that serves `connections`).
`raw_request` turns it, with the query fields, headers and body given beside it, into a
`RawRequest`, refusing what would send the company's token elsewhere or override the
client's own Authorization and xero-tenant-id. `send` puts it through
`XeroClient.exchange` (fresh token, tenant, pacing, retries, counting) and hands back Xero's
answer whatever its status, with the typed error it stands for; `paginate` walks `page` and
merges the pages under the list's Xero name.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from uku_xero_cli.errors import UkuXeroError, UsageError
from uku_xero_cli.xero.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, paginate

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.settings import Endpoints
    from uku_xero_cli.xero.client import XeroClient

METHODS = ("GET", "POST", "PUT", "DELETE")
# The methods that change data in Xero: confirmed first, sent with an Idempotency-Key.
WRITES = frozenset({"POST", "PUT", "DELETE"})
# The methods that carry a body (Xero's DELETE endpoints take none).
WITH_BODY = frozenset({"POST", "PUT"})
API_ROOT = "api.xro/2.0/"
IDEMPOTENCY_KEY = "Idempotency-Key"
# Where a paged answer describes its page (paging.py reads either spelling).
PAGINATION = frozenset({"pagination", "Pagination"})
# Xero keeps keys of up to 128 characters (xero-facts.md, "Accounting API").
MAX_IDEMPOTENCY_KEY = 128
# The client sets these from the company's tokens; a second value would be a second identity.
CLIENT_HEADERS = ("authorization", "xero-tenant-id")
# RFC 9110 field names ("token" characters).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Characters left as written in a path: RFC 3986 path characters and existing %-escapes.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class RawRequest:
    """One request of `uku-xero api`, checked: `path` is relative to its API's root and
    carries no query (that is `query`), `body` is JSON bytes with money exact."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    identity: bool = False
    paginate: bool = False
    page_size: int = DEFAULT_PAGE_SIZE
    idempotency_key: str | None = None

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    def url(self, endpoints: Endpoints) -> str:
        """The URL without its query: under the accounting API, or the identity API."""
        root = identity_root(endpoints) if self.identity else endpoints.api_url
        return f"{root.rstrip('/')}/{quote(self.path, safe=_PATH_SAFE)}"

    def params(self, page: int | None = None) -> dict[str, list[str]]:
        """The query fields (a name given twice is sent twice), with `page` and `pageSize`
        when a page of a walk is asked for."""
        fields: dict[str, list[str]] = {}
        for name, value in self.query:
            fields.setdefault(name, []).append(value)
        if page is not None:
            fields["page"] = [str(page)]
            fields["pageSize"] = [str(self.page_size)]
        return fields

    def sent_headers(self) -> dict[str, str]:
        """The headers given, the Idempotency-Key of a write, and a JSON Content-Type for
        a body unless one was given."""
        headers = dict(self.headers)
        if self.idempotency_key is not None:
            headers[IDEMPOTENCY_KEY] = self.idempotency_key
        if self.body is not None and not _named(headers, "content-type"):
            headers["Content-Type"] = "application/json"
        return headers

    def shown_url(self, endpoints: Endpoints) -> str:
        """The URL with its query as a person reads it (what a dry run prints)."""
        query = urlencode(self.params(1 if self.paginate else None), doseq=True, quote_via=quote)
        return self.url(endpoints) + (f"?{query}" if query else "")


def identity_root(endpoints: Endpoints) -> str:
    """The identity API's root: where `connections` lives (https://api.xero.com)."""
    return endpoints.connections_url.rstrip("/").rsplit("/", 1)[0]


def _named(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


# -- reading what a person wrote ---------------------------------------------------------------


def split_path(text: str, endpoints: Endpoints, *, identity: bool = False) -> tuple[str, str]:
    """(path relative to the API root, query text) of a path as written; UsageError for an
    absolute URL outside the API, a path that climbs out of it, or no path at all."""
    roots = {False: endpoints.api_url, True: identity_root(endpoints)}
    names = {False: "the accounting API", True: "the identity API"}
    written = text.strip()
    if "://" in written.split("?", 1)[0]:
        within = roots[identity].rstrip("/") + "/"
        elsewhere = roots[not identity].rstrip("/") + "/"
        if written.lower().startswith(elsewhere.lower()) and not written.lower().startswith(
            within.lower()
        ):
            flag = "leave out --identity" if identity else "add --identity"
            raise UsageError(f"{written} is under {names[not identity]}: {flag}")
        if not written.lower().startswith(within.lower()):
            where = urlsplit(written).netloc or written
            raise UsageError(
                f"refusing to send the company's token to {where}: {written} is not under "
                f"{names[identity]} ({within})",
                hint="give a path such as Invoices/UKU-2026-0042"
                + ("" if identity else ", or --identity connections"),
            )
        written = written[len(within) :]
    path, _, query = written.partition("?")
    path = path.strip("/")
    if (path.lower() + "/").startswith(API_ROOT):
        if identity:
            raise UsageError(
                f"{text} is an accounting API path: leave out --identity, which is for the "
                "identity API (connections)"
            )
        path = path[len(API_ROOT) :].strip("/")
    if not path:
        raise UsageError(
            "give a path under the API, e.g. Invoices/UKU-2026-0042 or 'Contacts?page=1'"
        )
    if any(part in (".", "..") for part in path.split("/")):
        raise UsageError(f"{text}: a path may not climb out of the API with '.' or '..'")
    return path, query


def parse_field(text: str) -> tuple[str, str]:
    """`-f key=value` → (key, value); the value may itself hold `=`."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise UsageError(f"-f {text}: write a query field as key=value, e.g. -f page=2")
    return name.strip(), value


def parse_header(text: str) -> tuple[str, str]:
    """`-H 'Name: value'` → (name, value); refuses the headers the client sets itself."""
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.fullmatch(name):
        raise UsageError(f"-H {text}: write a header as 'Name: value'")
    if "\r" in value or "\n" in value:
        raise UsageError(f"-H {name}: a header value is one line")
    if name.lower() in CLIENT_HEADERS:
        raise UsageError(
            f"-H {name}: uku-xero sets {name} from the company's connection and never sends "
            "another",
            hint="to call Xero as someone else, use curl with `uku-xero token -c NAME` for "
            "that company",
        )
    return name, value


def encoded_body(data: bytes, label: str) -> bytes:
    """A JSON body as Xero gets it: decoded with every amount a Decimal and encoded again,
    so that a number goes out exactly as written, never through a float."""
    from uku_xero_cli.xero.parse import encode_json, loads_exact

    try:
        value = loads_exact(data)
    except ValueError as exc:
        raise UsageError(f"{label}: the body is {exc}; nothing was sent") from None
    return encode_json(value).encode("utf-8")


def raw_request(
    method: str,
    path: str,
    endpoints: Endpoints,
    *,
    fields: Sequence[str] = (),
    headers: Sequence[str] = (),
    body: bytes | None = None,
    body_label: str = "--input",
    identity: bool = False,
    paginate: bool = False,
    page_size: int | None = None,
    idempotency_key: str | None = None,
) -> RawRequest:
    """The request `uku-xero api` sends, from what was written on its command line; one
    UsageError for the first thing that cannot be sent. A write without a key gets a fresh
    one, so that a retry of that very request gets Xero's first answer."""
    verb = method.strip().upper()
    if verb not in METHODS:
        raise UsageError(f"-X {method}: the method is one of {', '.join(METHODS)}")
    relative, query_text = split_path(path, endpoints, identity=identity)
    query = [*parse_qsl(query_text, keep_blank_values=True), *map(parse_field, fields)]
    given = [parse_header(text) for text in headers]
    key = _idempotency_key(verb, given, idempotency_key)
    given = [(name, value) for name, value in given if name.lower() != IDEMPOTENCY_KEY.lower()]
    if body is not None and verb not in WITH_BODY:
        raise UsageError(f"--input: {verb} sends no body; add -X PUT or -X POST")
    size = _page_size(query, paginate, page_size, verb)
    return RawRequest(
        method=verb,
        path=relative,
        query=tuple(query),
        headers=tuple(given),
        body=None if body is None else encoded_body(body, body_label),
        identity=identity,
        paginate=paginate,
        page_size=size,
        idempotency_key=key,
    )


def _idempotency_key(
    method: str, headers: Sequence[tuple[str, str]], option: str | None
) -> str | None:
    written = [value for name, value in headers if name.lower() == IDEMPOTENCY_KEY.lower()]
    if option is not None:
        written.append(option)
    if len(set(written)) > 1:
        raise UsageError("two different Idempotency-Keys: give it once (--idempotency-key)")
    key = written[0] if written else None
    if method not in WRITES:
        if key is not None:
            raise UsageError(f"--idempotency-key: {method} writes nothing; keys are for writes")
        return None
    if key is None:
        return str(uuid.uuid4())
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise UsageError(
            f"--idempotency-key: 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters, as Xero "
            "takes them"
        )
    return key


def _page_size(
    query: Sequence[tuple[str, str]], walk: bool, option: int | None, method: str
) -> int:
    names = {name for name, _ in query}
    if not walk:
        if option is not None:
            raise UsageError("--page-size goes with --paginate (one page: -f page=N -f pageSize=N)")
        return DEFAULT_PAGE_SIZE
    if method != "GET":
        raise UsageError(f"--paginate reads pages: it goes with GET, not {method}")
    if "page" in names:
        raise UsageError("--paginate asks for every page itself: leave out page=")
    written = [value for name, value in query if name == "pageSize"]
    if written and option is not None:
        raise UsageError("the page size is given twice: pageSize= and --page-size")
    size = option
    if written:
        try:
            size = int(written[-1])
        except ValueError:
            raise UsageError(f"pageSize={written[-1]}: not a whole number") from None
    size = DEFAULT_PAGE_SIZE if size is None else size
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise UsageError(f"the page size is 1-{MAX_PAGE_SIZE}, not {size}")
    return size


# -- Xero's answer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawAnswer:
    """Xero's answer: status, headers (rate-limit headroom among them) and body — decoded
    JSON with money exact, the text when it is not JSON, None when empty. `error` is the
    typed error a non-2xx answer stands for."""

    status: int
    headers: dict[str, str]
    body: Any
    is_json: bool
    error: UkuXeroError | None = None


def _answer(response: httpx.Response, error: UkuXeroError | None) -> RawAnswer:
    from uku_xero_cli.xero.parse import loads_exact

    headers: dict[str, str] = {}
    for raw_name, raw_value in response.headers.raw:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    body: Any = None
    is_json = False
    if response.content:
        try:
            body, is_json = loads_exact(response.content), True
        except ValueError:
            body = response.text
    return RawAnswer(response.status_code, headers, body, is_json, error)


def send(client: XeroClient, request: RawRequest) -> RawAnswer:
    """Send `request` as the client's company; every page of it with `paginate`."""
    if request.paginate:
        return _walk(client, request)
    return _exchange(client, request)


def _exchange(client: XeroClient, request: RawRequest, page: int | None = None) -> RawAnswer:
    response, error = client.exchange(
        request.method,
        request.url(client.settings.endpoints),
        params=request.params(page),
        headers=request.sent_headers(),
        content=request.body,
        tenant=not request.identity,
    )
    return _answer(response, error)


def list_key(body: Mapping[str, Any], path: str) -> str | None:
    """The name of the list an answer holds: the one named like the path's collection
    (`Contacts` for `contacts?...`), else its only list besides Xero's `Warnings`."""
    lists = [key for key, value in body.items() if isinstance(value, list)]
    collection = path.split("/", 1)[0].casefold()
    named = [key for key in lists if key.casefold() == collection]
    if named:
        return named[0]
    others = [key for key in lists if key != "Warnings"]
    return others[0] if len(others) == 1 else None


def _walk(client: XeroClient, request: RawRequest) -> RawAnswer:
    """Every page of a GET, merged: the first page's document with the list holding every
    page's records and without `pagination` (which described one page); the status and
    headers of the last page. A failed page ends the walk: its answer is the result."""
    first = _exchange(client, request, page=1)
    key = list_key(first.body, request.path) if isinstance(first.body, Mapping) else None
    if first.error is not None or key is None:
        return first  # an error, or no list to walk: the answer as it came
    last = first

    def fetch(page: int, size: int) -> Mapping[str, Any]:
        nonlocal last
        if page == 1:
            return first.body
        if not PAGINATION & set(first.body):
            # Xero answers `page` with a `pagination` object where it pages; an endpoint
            # that sent none ignores `page` (Items, TaxRates, ...) and sent everything.
            return {}
        last = _exchange(client, request, page=page)
        if last.error is not None or not isinstance(last.body, Mapping):
            return {}
        return last.body

    records: list[Any] = []
    for found in paginate(fetch, key, page_size=request.page_size):
        records.extend(found.records)
    if last.error is not None or not isinstance(last.body, Mapping):
        return last
    merged = {name: value for name, value in first.body.items() if name not in PAGINATION}
    merged[key] = records
    return RawAnswer(last.status, last.headers, merged, True)
