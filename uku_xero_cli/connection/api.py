"""Xero's API as one company, for `uku-xero api`: the request (xero/raw.py) sent with the
company's connection through the one client, or shown instead of sent (a dry run).

The connection is checked before anything else: a company that is not connected, or needs
re-authorization, gets its error without a request to Xero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from uku_xero_cli.errors import NetworkError, UkuXeroError, UsageError
from uku_xero_cli.xero.raw import IDEMPOTENCY_KEY, RawAnswer, RawRequest

if TYPE_CHECKING:
    import httpx

    from uku_xero_cli.settings import Settings
    from uku_xero_cli.tokens import CompanyTokens

STDIN = "-"


# Far more than any request body Xero takes; more is not read into memory.
MAX_INPUT_BYTES = 64 * 1024 * 1024


def read_input(name: str, *, stdin: Callable[[], BinaryIO], directory: Path) -> tuple[bytes, str]:
    """The body named by `--input` (`-`: standard input, opened only then; a relative name
    is found in `directory`, the run's working directory) and how to name it in a message."""
    from uku_xero_cli.fsutil import UnreadableInput, read_bounded, read_limited

    try:
        if name == STDIN:
            return read_limited(stdin(), MAX_INPUT_BYTES), "--input -"
        # A directory or a device (/dev/zero) is refused before a byte is read.
        with Path(directory, name).open("rb") as fh:
            return read_bounded(fh, MAX_INPUT_BYTES), f"--input {name}"
    except UnreadableInput as exc:
        raise UsageError(f"--input {name}: {exc}; nothing was sent") from None
    except OSError as exc:
        raise UsageError(f"--input {name}: cannot read ({exc.strerror or exc})") from None


@dataclass(frozen=True)
class ApiAnswer:
    """What `uku-xero api` got: Xero's answer to the request, whatever its status."""

    request: RawRequest
    answer: RawAnswer

    def outcome_error(self) -> UkuXeroError | None:
        return self.answer.error

    def to_json(self) -> dict[str, Any]:
        """The answer with its status and headers (`api --include`)."""
        return {
            "status": self.answer.status,
            "headers": self.answer.headers,
            "body": self.answer.body,
        }


@dataclass(frozen=True)
class PlannedRequest:
    """A request a dry run shows instead of sending: the token masked, the body decoded."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "headers": self.headers, "body": self.body}


class CompanyApi:
    """Xero's API as `company`: made only for a company with a usable connection."""

    def __init__(
        self, settings: Settings, company: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        from uku_xero_cli.tokens import TokenStore

        self.settings = settings
        self.company = company
        self.tokens = TokenStore(settings)
        # NotConnected or ReauthorizationRequired here, before any request.
        self.record: CompanyTokens = self.tokens.load_connected(company)
        self._transport = transport

    @property
    def organisation(self) -> str:
        return self.record.tenant_name or self.record.tenant_id or "Xero"

    def plan(self, request: RawRequest) -> PlannedRequest:
        """The request as it would go out (the first page of a walk), sending nothing: no
        token refresh either, so the masked token is the one on file."""
        from uku_xero_cli.redact import MASK
        from uku_xero_cli.xero.client import DEFAULT_HEADERS
        from uku_xero_cli.xero.parse import loads_exact

        headers = {**DEFAULT_HEADERS, **request.sent_headers()}
        headers["Authorization"] = f"Bearer {MASK}"
        if not request.identity:
            assert self.record.tenant_id is not None  # a connected record has one
            headers["xero-tenant-id"] = self.record.tenant_id
        body = None if request.body is None else loads_exact(request.body)
        return PlannedRequest(
            request.method, request.shown_url(self.settings.endpoints), headers, body
        )

    def send(self, request: RawRequest) -> ApiAnswer:
        """Send `request` (every page of it, with `paginate`) and return Xero's answer."""
        from uku_xero_cli.xero import raw
        from uku_xero_cli.xero.client import XeroClient

        client = XeroClient(
            self.settings, self.company, store=self.tokens, transport=self._transport
        )
        with client:
            try:
                answer = raw.send(client, request)
            except NetworkError as error:
                _add_retry_hint(error, request)
                raise
        if isinstance(answer.error, NetworkError):
            _add_retry_hint(answer.error, request)
        return ApiAnswer(request, answer)


def _add_retry_hint(error: NetworkError, request: RawRequest) -> None:
    """A write whose answer never came may have been made: say how to retry it safely."""
    if request.idempotency_key is not None:
        error.hint = (
            f"the {request.method} may have reached Xero; to retry it without writing twice, "
            f"send it again within a few minutes with --idempotency-key {request.idempotency_key}"
            f" (Xero keeps an {IDEMPOTENCY_KEY} only that long)"
        )
