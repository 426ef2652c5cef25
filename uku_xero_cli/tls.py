"""The TLS context every HTTP client of the process shares.

Building one loads the CA certificates, about 40 ms of CPU, and an httpx client given an
`SSLContext` uses it as it is: without sharing, a `reload --all` of 1,000 companies built
1,000 of them (and as many again for their token refreshes), most of its CPU time
(benchmarks/batch.py). OpenSSL contexts may be shared between threads. Built as httpx builds
its own (certifi's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR from the environment).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

_context: ssl.SSLContext | None = None
_lock = threading.Lock()


def tls_context() -> ssl.SSLContext:
    global _context
    with _lock:
        if _context is None:
            import httpx

            _context = httpx.create_ssl_context()
        return _context
