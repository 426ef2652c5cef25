"""What uku-xero tells about its conversation with Xero: `-v`, `-vv` and the JSON-lines log.

Three kinds of event, each a typed record: an HTTP exchange (`Exchange`), a token refresh
(`Refresh`) and a wait (`Wait`: a lock, pacing under Xero's limits, a Retry-After, a backoff).
The Xero client, the identity client, the pacer, the retry policy, the refresh and the locks
report them to a `Trace`, which hands each event to its sinks: the stderr lines of `-v`, the
JSON lines of `UKU_XERO_LOG`, the progress display of `reload`. The CLI builds the trace
and makes it the current one for the length of a command (`tracing`); a library caller that
wants events passes its own (`XeroClient(trace=...)`), and without either nothing is recorded.

Redaction happens here, once, before any sink sees an event: URLs lose the values of
secret-carrying parameters, headers their credentials, bodies their tokens, codes, verifiers
and secrets (token endpoint answers keep only their non-secret fields), and every text goes
through `redact` for secrets the process has seen.

Standard library only at import time: every command imports it when it starts.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from uku_xero_cli.redact import MASK, redact

# -v: one line per exchange, refresh and wait. -vv: headers and bodies as well.
EXCHANGES = 1
BODIES = 2
# A body longer than this is cut in -vv output: a page of 1,000 contacts is megabytes.
BODY_LIMIT = 4000

# Fields and query parameters whose values are secrets wherever they appear.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "code_verifier",
        "client_secret",
        "token",
        "password",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# Xero's rate-limit headroom, as each answer states it, under the names events use.
LIMIT_HEADERS = {
    "minute": "x-minlimit-remaining",
    "day": "x-daylimit-remaining",
    "app_minute": "x-appminlimit-remaining",
}

WaitKind = Literal["lock", "pacing", "retry-after", "backoff"]


@dataclass(frozen=True)
class Message:
    """Headers and body of one side of an exchange, redacted (recorded only at -vv)."""

    headers: dict[str, str]
    body: str | None


@dataclass(frozen=True)
class Exchange:
    """One request put on the wire and what came back (`status` None: no answer)."""

    method: str
    url: str  # safe: secret parameters masked
    status: int | None
    seconds: float
    attempt: int  # 1 for the first try of a request, 2 for its first retry, ...
    limits: dict[str, int] = field(default_factory=dict)  # headroom Xero reported
    retry_after: str | None = None
    problem: str | None = None  # X-Rate-Limit-Problem
    error: str | None = None  # why no answer came (timeout, connection refused)
    server_date: str | None = None  # Xero's Date header
    request: Message | None = None
    response: Message | None = None
    company: str | None = None
    kind: Literal["http"] = "http"


@dataclass(frozen=True)
class Refresh:
    """A token refresh: why it was due, and how it ended."""

    reason: str
    outcome: Literal["started", "refreshed", "done elsewhere", "refused", "failed"]
    expires_in: float | None = None  # of the new access token, when refreshed
    company: str | None = None
    kind: Literal["refresh"] = "refresh"


@dataclass(frozen=True)
class Wait:
    """A wait, reported when it starts (`seconds`: how long it will be, None if unknown) and
    when it ends (`waited`: how long it was)."""

    what: WaitKind
    reason: str  # for a person: "Xero's minute limit", "another uku-xero process ..."
    phase: Literal["start", "end"]
    seconds: float | None = None
    waited: float | None = None
    attempt: int | None = None  # the try that follows the wait, for retries
    company: str | None = None
    kind: Literal["wait"] = "wait"


Event = Exchange | Refresh | Wait
Sink = Callable[[Event], None]


class _Sinks:
    """The sinks every view of one trace shares, and the level they asked for."""

    def __init__(self, sinks: list[Sink], level: int) -> None:
        self.sinks = sinks
        self.level = level
        self.lock = threading.Lock()


class Trace:
    """Hands events to sinks. `level` (0, EXCHANGES or BODIES) says what callers need to
    record: below BODIES nobody builds the redacted headers and bodies. `for_company` gives
    a view on the same sinks that stamps a company on its events."""

    def __init__(self, sinks: list[Sink] | None = None, *, level: int = 0) -> None:
        self._shared = _Sinks(list(sinks or []), level)
        self.company: str | None = None

    @property
    def level(self) -> int:
        return self._shared.level

    @property
    def active(self) -> bool:
        return bool(self._shared.sinks)

    @property
    def bodies(self) -> bool:
        return self.level >= BODIES

    def add(self, sink: Sink) -> None:
        with self._shared.lock:
            self._shared.sinks.append(sink)

    def remove(self, sink: Sink) -> None:
        with self._shared.lock:
            if sink in self._shared.sinks:
                self._shared.sinks.remove(sink)

    def emit(self, event: Event) -> None:
        if event.company is None and self.company is not None:
            event = replace(event, company=self.company)
        with self._shared.lock:
            sinks = list(self._shared.sinks)
        for sink in sinks:
            sink(event)

    def for_company(self, company: str | None) -> Trace:
        """This trace's sinks, with `company` stamped on every event that has none (None:
        this trace as it is)."""
        if company is None:
            return self
        view = Trace.__new__(Trace)
        view._shared = self._shared
        view.company = company
        return view

    @contextmanager
    def waiting(
        self,
        what: WaitKind,
        reason: str,
        seconds: float | None = None,
        *,
        attempt: int | None = None,
    ) -> Iterator[None]:
        """Report a wait around the block that waits."""
        if not self.active:
            yield
            return
        self.emit(Wait(what, reason, "start", seconds, None, attempt))
        started = time.monotonic()
        try:
            yield
        finally:
            waited = time.monotonic() - started
            self.emit(Wait(what, reason, "end", seconds, waited, attempt))


NO_TRACE = Trace()
_current: ContextVar[Trace] = ContextVar("uku_xero_trace", default=NO_TRACE)


def current_trace() -> Trace:
    """The trace of the command running now in this thread (NO_TRACE outside a command)."""
    return _current.get()


@contextmanager
def tracing(trace: Trace) -> Iterator[Trace]:
    """Make `trace` the current one for the block (in this thread, and in threads started
    with a copy of this context)."""
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)


# -- redaction -------------------------------------------------------------------------------


def safe_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """`url` with `params` added and the values of secret parameters masked."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if params:
        for key, value in params.items():
            if value is None:
                continue
            values = value if isinstance(value, list | tuple) else [value]
            query.extend((key, str(v)) for v in values)
    masked = [(k, MASK if k.lower() in SECRET_FIELDS else v) for k, v in query]
    text = urlunsplit(parts._replace(query=urlencode(masked, safe=",*=()<>\"'")))
    return redact(text)


def safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials masked (the scheme kept: Bearer or Basic tells something)."""
    shown = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {MASK}" if rest else MASK
        shown[name] = redact(value)
    return shown


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if str(k).lower() in SECRET_FIELDS else _masked(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def safe_body(content: bytes | str | None, content_type: str | None) -> str | None:
    """A body for -vv: JSON and form fields that carry secrets masked, cut at BODY_LIMIT."""
    if not content:
        return None
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        fields = parse_qsl(text, keep_blank_values=True)
        text = urlencode([(k, MASK if k.lower() in SECRET_FIELDS else v) for k, v in fields])
    elif kind.endswith("json") or text.lstrip()[:1] in ("{", "["):
        with suppress(ValueError):
            text = json.dumps(_masked(json.loads(text)), ensure_ascii=False)
    text = redact(text)
    if len(text) > BODY_LIMIT:
        text = f"{text[:BODY_LIMIT]}… ({len(text) - BODY_LIMIT} more characters)"
    return text


def message(headers: Mapping[str, str], content: bytes | str | None) -> Message:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    return Message(safe_headers(headers), safe_body(content, content_type))


def limits_of(headers: Mapping[str, str]) -> dict[str, int]:
    """The rate-limit headroom an answer states (`minute`, `day`, `app_minute`)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    found = {}
    for name, header in LIMIT_HEADERS.items():
        raw = lowered.get(header)
        if raw is not None and raw.strip().isdigit():
            found[name] = int(raw.strip())
    return found


# -- sinks -----------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def describe(event: Event) -> str | None:
    """The stderr line of an event under -v (None: the event has no line of its own)."""
    who = f"[{event.company}] " if event.company else ""
    if isinstance(event, Exchange):
        answer = str(event.status) if event.status is not None else f"no answer ({event.error})"
        notes = [f"try {event.attempt}"] if event.attempt > 1 else []
        if event.limits:
            left = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in event.limits.items())
            notes.append(f"left: {left}")
        if event.retry_after is not None:
            notes.append(f"Retry-After {event.retry_after}")
        if event.problem:
            notes.append(f"limit {event.problem}")
        extra = f" ({'; '.join(notes)})" if notes else ""
        return (
            f"{who}http {event.method} {event.url} -> {answer} in {_seconds(event.seconds)}{extra}"
        )
    if isinstance(event, Refresh):
        if event.outcome == "started":
            return f"{who}token refresh: {event.reason}"
        if event.outcome == "refreshed":
            valid = "" if event.expires_in is None else f" for {event.expires_in:.0f} s"
            return f"{who}token refreshed: the new access token is good{valid}"
        if event.outcome == "done elsewhere":
            return (
                f"{who}token refresh not needed: another uku-xero process refreshed it while "
                f"this one waited for the lock ({event.reason})"
            )
        return f"{who}token refresh {event.outcome}: {event.reason}"
    then = f", then try {event.attempt}" if event.attempt else ""
    if event.phase == "start":
        length = f"waiting {_seconds(event.seconds)}" if event.seconds is not None else "waiting"
        return f"{who}wait ({event.what}): {event.reason}: {length}{then}"
    if event.seconds is None and event.waited is not None:
        return f"{who}wait ({event.what}) over after {_seconds(event.waited)}: {event.reason}"
    return None


def _message_lines(label: str, shown: Message | None) -> list[str]:
    if shown is None:
        return []
    lines = [f"  {label} {name}: {value}" for name, value in shown.headers.items()]
    if shown.body is not None:
        lines.append(f"  {label} body: {shown.body}")
    return lines


def describe_fully(event: Event) -> list[str]:
    """The -vv lines of an event: its -v line, then headers and bodies."""
    line = describe(event)
    lines = [line] if line is not None else []
    if isinstance(event, Exchange):
        lines += _message_lines(">", event.request) + _message_lines("<", event.response)
    return lines


def line_sink(write: Callable[[str], None], level: int) -> Sink:
    """-v (EXCHANGES) or -vv (BODIES): lines for a person, written with `write`."""

    def sink(event: Event) -> None:
        lines = describe_fully(event) if level >= BODIES else [describe(event)]
        for line in lines:
            if line is not None:
                write(redact(line))

    return sink


def record(event: Event, now: datetime | None = None) -> dict[str, Any]:
    """The JSON-lines form of an event: time, company, kind and its fields; no headers or
    bodies (the log is for cron: every exchange, refresh and wait, whatever -v says)."""
    data: dict[str, Any] = {
        "time": (now or datetime.now(UTC)).isoformat(timespec="milliseconds"),
        "company": event.company,
        "event": event.kind,
    }
    for name, value in vars(event).items():
        if name in ("kind", "company", "request", "response"):
            continue
        if value is None or value == {}:
            continue
        data[name] = round(value, 3) if isinstance(value, float) else value
    return json.loads(redact(json.dumps(data, ensure_ascii=False)))


class JsonLinesFile:
    """Appends one JSON object a line to the file at `path` (created 0600): opened for each
    event, so lines of processes sharing the file (cron jobs overlapping) never interleave
    mid-line and nothing stays open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def open(self) -> IO[str]:
        """The file opened for appending; OSError when it cannot be."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        line = json.dumps(record(event), ensure_ascii=False) + "\n"
        with self._lock, self.open() as stream:
            stream.write(line)


def report_exchange(
    trace: Trace,
    method: str,
    url: str,
    *,
    seconds: float,
    attempt: int,
    answer: Any = None,
    params: Mapping[str, Any] | None = None,
    error: BaseException | None = None,
) -> None:
    """Report one exchange: `answer` is the HTTP client's response (its request attached),
    or None with the `error` that kept it from coming."""
    if not trace.active:
        return
    if answer is None:
        trace.emit(
            Exchange(
                method,
                safe_url(url, params),
                None,
                seconds,
                attempt,
                error=redact(f"{type(error).__name__}: {error}" if error else "no answer"),
            )
        )
        return
    headers = answer.headers
    sent = answer.request
    trace.emit(
        Exchange(
            method,
            safe_url(str(sent.url)),
            answer.status_code,
            seconds,
            attempt,
            limits=limits_of(headers),
            retry_after=headers.get("retry-after"),
            problem=headers.get("x-rate-limit-problem"),
            server_date=headers.get("date"),
            request=message(sent.headers, sent.content) if trace.bodies else None,
            response=message(headers, answer.content) if trace.bodies else None,
        )
    )


A = TypeVar("A")


def traced_send(
    trace: Trace,
    method: str,
    url: str,
    send: Callable[[], A],
    *,
    attempt: int,
    params: Mapping[str, Any] | None = None,
) -> A:
    """`send()` one request, timed, and report the exchange (or the failure to get one)."""
    started = time.monotonic()
    try:
        answer = send()
    except Exception as exc:
        seconds = time.monotonic() - started
        report_exchange(
            trace, method, url, params=params, seconds=seconds, attempt=attempt, error=exc
        )
        raise
    seconds = time.monotonic() - started
    report_exchange(trace, method, url, seconds=seconds, attempt=attempt, answer=answer)
    return answer
