"""Atomic, private file writes, and bounded reads of files someone else names."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

# A temporary file of `atomic_write` older than this was left by a process that died while
# writing (a write takes milliseconds; the margin covers a slow fsync).
STALE_TEMPORARY_SECONDS = 60.0
READ_CHUNK = 64 * 1024


class UnreadableInput(ValueError):
    """A file that is not one to read whole: a directory, a device, or larger than allowed.
    The message says which, in words a user reads after the file's name."""


def file_kind(mode: int) -> str:
    """What a file is, in words, from its `st_mode`: "a regular file", "a directory", ..."""
    for test, name in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_bounded(fh: BinaryIO, limit: int) -> bytes:
    """The whole of an open regular file or pipe (`<(...)`, standard input), at most `limit`
    bytes; UnreadableInput for anything else, so that `/dev/zero` or a directory named by
    mistake is refused before a byte is read, and a huge file before it fills memory."""
    kind = file_kind(os.fstat(fh.fileno()).st_mode)
    if kind not in ("a regular file", "a pipe"):
        raise UnreadableInput(f"{kind}, not a file")
    return read_limited(fh, limit)


def read_limited(fh: BinaryIO, limit: int) -> bytes:
    """At most `limit` bytes of `fh`; UnreadableInput when it holds more. Read in chunks:
    `read(limit)` would set aside `limit` bytes of memory first, however small the file."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = fh.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise UnreadableInput(f"larger than {_size(limit)}")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def ensure_private_dir(path: Path) -> None:
    """Create `path` with mode 0700 (tightening it if it exists), and any parent it lacks with
    0700 too: a company's directory `<data>/companies/<company>` must not leave the list of
    companies open to others. Parents that exist are left as they are."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _temporary_pattern(path: Path) -> re.Pattern[str]:
    # mkstemp's random part: 8 of [a-z0-9_]; anchored so that `a.toml` never takes the
    # temporaries of `a.toml.x.toml`.
    return re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")


def stale_temporaries(path: Path, *, now: float | None = None) -> list[Path]:
    """Temporary files `atomic_write(path)` left behind when its process died mid-write
    (they may hold a whole copy of the data, secrets included)."""
    pattern = _temporary_pattern(path)
    cutoff = (time.time() if now is None else now) - STALE_TEMPORARY_SECONDS
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(path.parent):
            if pattern.fullmatch(entry.name):
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        found.append(Path(entry.path))
    return sorted(found)


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove what `stale_temporaries(path)` finds; returns what was removed."""
    removed = []
    for stale in stale_temporaries(path):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed.append(stale)
    return removed


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write `data` to `path` so that readers see the old or the new file, never a mix.

    Temporary file in the same directory, fsync, rename, then fsync of the directory so
    the rename itself survives a crash.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
