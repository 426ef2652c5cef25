"""Keep secrets out of everything a user or a log can see."""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_known: set[str] = set()

# Shapes that carry secrets even when the value was never registered: bearer headers,
# OAuth form and JSON fields, and query parameters of redirect URLs.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(basic\s+)[A-Za-z0-9+/=]+"),
    # Whole field names only: `product_code: BOOK` and `postcode: X` are not secrets.
    re.compile(
        r"(?i)((?<![A-Za-z0-9_])"
        r"(?:access_token|refresh_token|id_token|client_secret|code_verifier|code|token)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"
    ),
]

MASK = "***"


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` masks it wherever it appears."""
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    """Return `text` with every known secret and every secret-shaped field masked."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def fingerprint(secret: str) -> str:
    """A short, non-reversible tag that lets support tell two tokens apart."""
    import hashlib

    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8]
