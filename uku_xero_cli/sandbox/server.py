"""Serve a Sandbox over real loopback HTTP, in the foreground or in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _QuietHandler(WSGIRequestHandler):
    # HTTP/1.1 keeps connections alive so clients that pool connections reuse them.
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        # wsgiref fills in "text/plain" when the client sent no Content-Type; the request log
        # must show only what the client really sent.
        if self.headers.get("content-type") is None:
            environ.pop("CONTENT_TYPE", None)
        return environ


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


@dataclass
class RunningServer:
    url: str
    host: str
    port: int
    _server: WSGIServer
    _thread: threading.Thread | None

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make(app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    server = make_server(
        host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    bound = server.server_address[1]
    return RunningServer(f"http://{host}:{bound}", host, bound, server, None)


def serve_in_thread(
    app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    running = make(app, host, port)
    # A short poll keeps stop() quick: shutdown() waits for the loop's next poll (0.5 s default).
    thread = threading.Thread(
        target=running._server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="sandbox",
        daemon=True,
    )
    thread.start()
    running._thread = thread
    return running
