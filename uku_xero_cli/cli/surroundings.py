"""What one run of uku-xero takes from the world around it: environment, working directory,
standard streams and the browser.

`main(argv, surroundings)` makes them the current ones for the length of that call, in that
thread only (a context variable), and `command_context` hands them to the command. So a caller
(the demo, a test) runs the CLI in another environment and directory, with other streams and
another browser, without changing the process's own: `os.environ`, the working directory and
module globals stay as they are, for every other thread too. By default they are the
process's own (`Surroundings.of_process()`).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

if TYPE_CHECKING:
    from uku_xero_cli.connection.connect import Browser


@dataclass(frozen=True)
class Surroundings:
    environ: Mapping[str, str]
    cwd: Path
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    # None: the user's own browser, through `auth_cmd.open_browser`.
    browser: Browser | None = None

    @classmethod
    def of_process(cls) -> Surroundings:
        return cls(os.environ, Path.cwd(), sys.stdin, sys.stdout, sys.stderr)

    def stdin_bytes(self) -> BinaryIO:
        """Standard input as bytes: its byte buffer, or (for a text stream without one, such
        as a caller's StringIO) its text encoded as UTF-8."""
        buffer: BinaryIO | None = getattr(self.stdin, "buffer", None)
        return buffer if buffer is not None else io.BytesIO(self.stdin.read().encode())


_current: ContextVar[Surroundings | None] = ContextVar("uku_xero_surroundings", default=None)


@contextmanager
def surrounded_by(surroundings: Surroundings) -> Iterator[None]:
    """Commands run inside this block (in this thread) see `surroundings`."""
    token = _current.set(surroundings)
    try:
        yield
    finally:
        _current.reset(token)


def current_surroundings() -> Surroundings:
    """What `main` was given for the command running now (the process's own otherwise)."""
    return _current.get() or Surroundings.of_process()
