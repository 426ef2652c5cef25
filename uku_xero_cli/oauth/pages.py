"""The pages the loopback server shows the browser at the end of a sign-in.

A page tells the person how the sign-in ended in the words the terminal uses (the outcome's
summary, or the error's message and hint), so the browser never says "Connected" while the
terminal says otherwise. Each page stands alone: no script and nothing loaded from elsewhere
(a page on localhost has no business calling out), a viewport so a phone lays it out at its
own width, a `lang`, and a title per outcome so the tab says how it ended.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from uku_xero_cli.errors import as_typed
from uku_xero_cli.redact import redact

LANG = "en"
_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:1rem;"
    "line-height:1.5;max-width:40rem;margin:0 auto;padding:1.5rem 1rem;color:#1b1b1b}"
    "h1{font-size:1.5rem;margin:0 0 1rem}p{margin:0 0 1rem;white-space:pre-line;"
    "overflow-wrap:anywhere}.ok h1{color:#176b2c}.failed h1{color:#a4161a}"
)
CLOSE_TAB = "You can close this tab and return to the terminal."


@dataclass(frozen=True)
class Page:
    """One answer to the browser: HTTP status, a title (tab and heading), the lines of text,
    and for a page that is not the last word, where the browser asks again."""

    status: int
    title: str
    lines: tuple[str, ...]
    kind: str = "info"  # ok, failed or info: the heading's colour
    refresh: str | None = None  # a path on this server, asked again after a second

    def html(self) -> bytes:
        esc = html.escape
        refresh = (
            f'<meta http-equiv="refresh" content="1; url={esc(self.refresh)}">'
            if self.refresh
            else ""
        )
        text = "".join(f"<p>{esc(line)}</p>" for line in self.lines if line)
        document = (
            f'<!doctype html><html lang="{LANG}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"{refresh}<title>{esc(self.title)} · uku-xero</title><style>{_STYLE}</style>"
            f'</head><body class="{esc(self.kind)}"><h1>{esc(self.title)}</h1>{text}'
            "</body></html>"
        )
        return document.encode("utf-8")


def connected(summary: str) -> Page:
    """The sign-in ended with the company connected; `summary` is the terminal's first line."""
    return Page(200, "Connected", (summary, CLOSE_TAB), kind="ok")


def not_connected(error: BaseException) -> Page:
    """The sign-in ended in `error`: its message and hint, as the terminal prints them."""
    typed = as_typed(error)
    lines = (redact(typed.message), redact(typed.hint) if typed.hint else "", CLOSE_TAB)
    return Page(400, "Not connected", lines, kind="failed")


def finishing(doing: str, refresh: str) -> Page:
    """The browser's part is done but the outcome is not known yet: this page asks again."""
    return Page(
        200,
        "Finishing the sign-in",
        (doing, "This page shows the outcome when the terminal knows it."),
        refresh=refresh,
    )


def not_this_sign_in(error: BaseException) -> Page:
    """A redirect that is not the awaited sign-in's: ignored, and the sign-in still waits."""
    typed = as_typed(error)
    lines = (
        redact(typed.message),
        "The sign-in in the terminal is still waiting.",
        redact(typed.hint) if typed.hint else "",
    )
    return Page(400, "Not this sign-in", lines, kind="failed")


def already_finished() -> Page:
    return Page(
        400,
        "Sign-in already finished",
        ("This sign-in has already finished; the terminal says how.", CLOSE_TAB),
    )


def not_found() -> Page:
    return Page(404, "Not found", ("uku-xero only answers the sign-in redirect.",))
