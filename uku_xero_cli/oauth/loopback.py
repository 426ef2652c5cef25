"""The loopback redirect server: waits for the one browser redirect that ends a sign-in.

It listens on 127.0.0.1 (and ::1 where the machine has it) on the configured port, answers
only `/callback`, and hands each redirect URL to a `validate` function (which checks `state`
and extracts the code, or raises). With `paste` it also accepts the final redirect URL typed
or pasted on a terminal — whichever arrives first wins.

The browser is not told "connected" when the code arrives: the code exchange, the
offline_access check and the choice of organisation are still to come. Its request is held
until the owner `conclude`s with the page of the real outcome; should that take long (a
person choosing the organisation in the terminal, told by `attention`), the browser gets a
"Finishing" page that asks again (`<meta http-equiv="refresh">`, no script) until the outcome
is known. The server always closes, after the browser has had the last page.
"""

from __future__ import annotations

import errno
import os
import queue
import secrets
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import TCPServer, ThreadingMixIn
from typing import Any, Generic, TextIO, TypeVar
from urllib.parse import urlsplit

from uku_xero_cli.errors import (
    AuthorizationTimeout,
    PortInUse,
    PortUnavailable,
    StateMismatch,
    UkuXeroError,
    UsageError,
)
from uku_xero_cli.oauth import pages
from uku_xero_cli.oauth.pages import Page

T = TypeVar("T")

CALLBACK_PATH = "/callback"
MAX_PORT = 65535
# bind() failures that another --port fixes, and what each means for the person choosing one.
_UNUSABLE = {
    errno.EACCES: "this user may not listen on it (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "the address is not available on this machine",
}
DEFAULT_TIMEOUT = 300.0
# How long a browser's request waits for the outcome before it gets a "Finishing" page that
# asks again: well inside any browser's patience for an answer.
HOLD_SECONDS = 15.0
# How long `close` waits for a browser shown "Finishing" to come back for the outcome (it asks
# again after one second).
LAST_WORD_SECONDS = 5.0
# The neutral last word for an owner that never concluded (a bare server in a test, a crash).
_FINISHED = Page(
    200, "Sign-in finished", ("The sign-in has finished; the terminal says how.", pages.CLOSE_TAB)
)


_OTHER_PORT = (
    "pick another port with --port N (or UKU_XERO_REDIRECT_PORT / redirect_port in "
    "config.toml) and register http://localhost:N/callback as a redirect URI of the Xero app"
)


def redirect_uri_for(port: int) -> str:
    # Xero matches redirect URIs exactly and documents `localhost`, so that is what we send,
    # whichever loopback address the browser then resolves it to.
    return f"http://localhost:{port}{CALLBACK_PATH}"


def unregistered_hint(port: int) -> str:
    """What to do when Xero refuses the redirect URI: it shows an error page and never
    redirects, so from here that looks like a browser that never came back."""
    return (
        f"if Xero shows 'Invalid redirect_uri', register {redirect_uri_for(port)} for the app "
        "at developer.xero.com, or use --port with a port whose redirect URI is registered"
    )


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    owner: LoopbackServer[Any]

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall on a broken resolver.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Server6(_Server):
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # A browser's speculative pre-connection that never sends a request must not pin a thread.
    timeout = 10

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.answering():
            path = urlsplit(self.path).path
            if path == owner.outcome_path:
                self._reply(owner.await_outcome(released_by_attention=False))
                return
            if path != CALLBACK_PATH:
                self._reply(pages.not_found())
                return
            host = self.headers.get("Host") or f"localhost:{owner.port}"
            page = owner.deliver(f"http://{host}{self.path}", "browser")
            self._reply(page if page is not None else owner.await_outcome())

    def _reply(self, page: Page) -> None:
        body = page.html()
        self.send_response(page.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        # A browser that went away (tab closed) is waiting for nothing.
        with suppress(OSError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line carries the authorization code


class LoopbackServer(Generic[T]):
    """Serve `/callback` on the loopback port until one redirect arrives or time runs out.

    `validate(url)` turns the redirect URL into the result (the authorization code) or raises
    a UkuXeroError, which `wait` raises and the browser is shown at once. A StateMismatch is
    not final: a redirect that is not this sign-in's (an older tab, or a page forging one)
    must not end it, so it is answered, told to `on_ignored`, and counted. After a good
    redirect the browser waits for `conclude(page)`; leaving the `with` block with an error
    concludes with that error's page.
    """

    def __init__(
        self,
        port: int,
        validate: Callable[[str], T],
        *,
        ipv6: bool = True,
        on_ignored: Callable[[str], None] | None = None,
        hold: float = HOLD_SECONDS,
        last_word: float = LAST_WORD_SECONDS,
    ) -> None:
        self.requested_port = port
        self.ignored = 0
        self._on_ignored = on_ignored
        self.port = port
        self._validate = validate
        self._ipv6 = ipv6
        self._hold = hold
        self._last_word = last_word
        # Where a browser shown "Finishing" asks for the outcome; unguessable, so only the
        # browser this server answered finds it.
        self.outcome_path = f"{CALLBACK_PATH}/outcome/{secrets.token_urlsafe(12)}"
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._results: queue.Queue[tuple[T | None, UkuXeroError | None]] = queue.Queue()
        self._done = threading.Event()
        self._deliver_lock = threading.Lock()
        self._reader: threading.Thread | None = None
        # The outcome and the browser's view of it, guarded by one condition.
        self._changed = threading.Condition()
        self._final: Page | None = None
        self._attention: str | None = None
        self._answering = 0  # requests being answered right now
        self._shown_finishing = False  # a browser was told to ask again ...
        self._shown_final = False  # ... and has (or another request) had the last word

    @property
    def redirect_uri(self) -> str:
        return redirect_uri_for(self.port)

    @property
    def addresses(self) -> list[str]:
        return [str(server.server_address[0]) for server in self._servers]

    def __enter__(self) -> LoopbackServer[T]:
        self.start()
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        if error is not None:
            self.conclude(pages.not_connected(error))
        self.close()

    def start(self) -> None:
        """Bind the loopback addresses; PortUnavailable (PortInUse) says how to pick another."""
        if not 0 <= self.requested_port <= MAX_PORT:
            raise UsageError(f"port {self.requested_port}: choose 1-{MAX_PORT}")
        try:
            first = self._bind(_Server, "127.0.0.1", self.requested_port)
            self.port = int(first.server_address[1])
            if self._ipv6 and socket.has_ipv6:
                self._bind(_Server6, "::1", self.port, optional=True)
        except BaseException:
            self.close()
            raise
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="loopback",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def _bind(self, cls: type[_Server], host: str, port: int, optional: bool = False) -> _Server:
        try:
            server = cls((host, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use by another program, so the "
                    "sign-in redirect cannot be received",
                    hint=f"stop the program using port {port}, or {_OTHER_PORT}",
                ) from None
            if optional:  # no IPv6 loopback on this machine: 127.0.0.1 alone will do
                return self._servers[0]
            if exc.errno in _UNUSABLE:
                raise PortUnavailable(
                    f"cannot listen on port {port} on {host}: {_UNUSABLE[exc.errno]}, so the "
                    "sign-in redirect cannot be received",
                    hint=_OTHER_PORT,
                ) from None
            raise
        server.owner = self
        self._servers.append(server)
        return server

    def deliver(self, url: str, source: str) -> Page | None:
        """Check one redirect URL (from the browser or a paste); the first good one decides.
        The page to answer at once, or None: the answer is the outcome, still to come."""
        with self._deliver_lock:
            if self._done.is_set():
                return pages.already_finished()
            try:
                result = self._validate(url)
            except StateMismatch as exc:
                self.ignored += 1
                if self._on_ignored is not None:
                    self._on_ignored(f"ignored a redirect ({source}): {exc.message}; still waiting")
                return pages.not_this_sign_in(exc)
            except UkuXeroError as exc:
                self._end(None, exc)
                return pages.not_connected(exc)
            self._end(result, None)
            return None

    def abandon(self, error: UkuXeroError) -> None:
        """End the wait with `error` (unless a redirect already ended it): `wait` raises it,
        and the browser is shown it."""
        with self._deliver_lock:
            if not self._done.is_set():
                self._end(None, error)

    def _end(self, result: T | None, error: UkuXeroError | None) -> None:
        self._done.set()
        self._results.put((result, error))
        if error is not None:
            self.conclude(pages.not_connected(error))

    # -- the browser's last word ----------------------------------------------------------

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around each request: `close` lets every request being answered finish first."""
        with self._changed:
            self._answering += 1
        try:
            yield
        finally:
            with self._changed:
                self._answering -= 1
                self._changed.notify_all()

    def conclude(self, page: Page) -> None:
        """The outcome is known: a held request, and any that asks later, gets `page`."""
        with self._changed:
            if self._final is None:
                self._final = page
                self._changed.notify_all()

    def attention(self, doing: str) -> None:
        """The outcome waits for a person at the terminal (`doing` says what): a held browser
        is told so at once instead of waiting in silence."""
        with self._changed:
            self._attention = doing
            self._changed.notify_all()

    def await_outcome(self, *, released_by_attention: bool = True) -> Page:
        """The outcome's page once concluded, or after `hold` seconds (or, for the redirect
        itself, once the terminal needs a person) a "Finishing" page that asks again."""
        deadline = time.monotonic() + self._hold
        with self._changed:
            while self._final is None:
                if released_by_attention and self._attention is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            if self._final is not None:
                self._shown_final = True
                return self._final
            self._shown_finishing = True
            doing = self._attention or "uku-xero is finishing the sign-in in the terminal."
            return pages.finishing(doing, self.outcome_path)

    def _let_the_browser_finish(self) -> None:
        """Before closing: requests being answered get their page out, and a browser shown
        "Finishing" gets the moment it needs to come back for the outcome."""
        deadline = time.monotonic() + self._last_word
        with self._changed:
            if self._final is None:
                self._final = _FINISHED
                self._changed.notify_all()
            while self._answering or (self._shown_finishing and not self._shown_final):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._changed.wait(left)

    def wait(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        paste: TextIO | None = None,
        on_bad_paste: Callable[[str], None] | None = None,
    ) -> T:
        """Block until a redirect is delivered (browser or `paste`), or AuthorizationTimeout."""
        if paste is not None:
            reader = threading.Thread(
                target=self._read_pastes, args=(paste, on_bad_paste), name="paste", daemon=True
            )
            reader.start()
            self._reader = reader
        deadline = time.monotonic() + timeout
        try:
            result, error = self._results.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self._done.set()
            ignored = f" ({self.ignored} not of this sign-in ignored)" if self.ignored else ""
            raise AuthorizationTimeout(
                f"no sign-in redirect arrived within {timeout:.0f} s{ignored}"
            ) from None
        if self._reader is not None:
            # It stops within a poll of the end of the wait: a question asked on the same
            # terminal next (the organisation) must not lose its answer to it.
            self._reader.join(timeout=1)
        if error is not None:
            raise error
        assert result is not None
        return result

    def _read_pastes(self, stream: TextIO, on_bad: Callable[[str], None] | None) -> None:
        try:
            fd = stream.fileno()
        except (OSError, ValueError, AttributeError):
            try:
                for line in iter(stream.readline, ""):  # an in-memory stream never blocks
                    if self._done.is_set():
                        return
                    self._paste(line, on_bad)
            except (OSError, ValueError):
                pass  # a stream that cannot be read (closed, or a test's stand-in): no pastes
            return
        # Read the descriptor directly and poll, so this thread notices the end of the wait
        # and never sits inside the stream's buffer lock (which would hang closing stdin).
        pending = b""
        while not self._done.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    continue
                chunk = os.read(fd, 4096)
            except (OSError, ValueError):
                return
            if not chunk:
                return  # end of input: the browser may still deliver
            pending += chunk
            while b"\n" in pending and not self._done.is_set():
                raw, pending = pending.split(b"\n", 1)
                self._paste(raw.decode("utf-8", "replace"), on_bad)

    def _paste(self, line: str, on_bad: Callable[[str], None] | None) -> None:
        text = line.strip()
        if not text:
            return
        parts = urlsplit(text)
        if parts.path != CALLBACK_PATH or not parts.query:
            if on_bad is not None:
                on_bad(
                    "that is not the redirect URL: paste the whole address the browser "
                    f"was sent to, starting with {self.redirect_uri}?"
                )
            return
        self.deliver(text, "paste")

    def close(self) -> None:
        """Stop serving and release the port, once the browser has its last page; safe to
        call more than once."""
        self._done.set()
        if self._reader is not None:
            self._reader.join(timeout=1)
        if self._servers:
            self._let_the_browser_finish()
        for server, thread in zip(self._servers, self._threads, strict=False):
            server.shutdown()
            thread.join(timeout=5)
        for server in self._servers:
            server.server_close()
        self._servers.clear()
        self._threads.clear()
