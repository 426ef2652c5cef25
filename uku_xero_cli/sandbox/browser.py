"""A browser stand-in for the emulator: follows the authorize redirect to the loopback callback.

`uku-xero demo` (and anyone without a real browser) points Python's `webbrowser` at it:

    BROWSER="python -m uku_xero_cli.sandbox.browser %s" uku-xero auth

It only follows redirects; with the emulator's automatic consent that completes the login.
"""

from __future__ import annotations

import sys


def follow(url: str, *, timeout: float = 10.0, max_hops: int = 5) -> int:
    """GET `url` and each redirect after it; the final HTTP status."""
    import httpx

    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for _ in range(max_hops):
            answer = client.get(url)
            location = answer.headers.get("location")
            if answer.status_code not in (301, 302, 303, 307, 308) or not location:
                return answer.status_code
            url = str(answer.url.join(location))
    return 310


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m uku_xero_cli.sandbox.browser URL", file=sys.stderr)
        return 2
    try:
        status = follow(argv[1])
    except Exception as exc:  # a stand-in browser reports and exits, like a closed tab
        print(f"browser stand-in: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0 if status < 400 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
