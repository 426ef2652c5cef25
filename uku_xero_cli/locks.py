"""Per-company locks across processes: one reload, one push and one token refresh at a time.

A lock is the operating system's lock on a file (filelock), held by a live process and let go
when it ends, so a crashed run never leaves a company locked and removing the file would not
help. Each kind of job has its own file, so a push may run while a reload of the same
company does.

The holder writes who it is into the file (`Holder`: pid, since when, which command) and
empties it when it lets go, so `doctor` can name the process holding a lock, and tell a file
left non-empty by a process that was killed (harmless: the lock itself ended with it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from uku_xero_cli.command_lines import command_line
from uku_xero_cli.errors import LockHeld

if TYPE_CHECKING:
    from uku_xero_cli.settings import Settings
    from uku_xero_cli.trace import Trace


@dataclass(frozen=True)
class Holder:
    """What a lock file says about the process that holds (or held) it."""

    pid: int
    since: datetime
    command: str

    def to_text(self) -> str:
        return f"{self.pid}\n{self.since.isoformat()}\n{self.command}\n"

    @classmethod
    def from_text(cls, text: str) -> Holder | None:
        lines = text.splitlines()
        if len(lines) < 3 or not lines[0].strip().isdigit():
            return None
        try:
            since = datetime.fromisoformat(lines[1].strip())
        except ValueError:
            return None
        return cls(int(lines[0]), since, lines[2].strip())


def _this_process() -> Holder:
    import sys

    # Only uku-xero takes these locks; its first arguments say which job it is (the rest
    # could be file names the support engineer does not need).
    words = ["uku-xero", *sys.argv[1:4]]
    return Holder(os.getpid(), datetime.now(UTC).replace(microsecond=0), " ".join(words))


def read_holder(path: Path) -> Holder | None:
    """The holder the lock file at `path` names (None: empty, missing or unreadable)."""
    try:
        return Holder.from_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def lock_is_held(path: Path) -> bool:
    """True if another process holds the lock at `path` now (probed without waiting; a
    missing file is a free lock and is not created)."""
    from filelock import FileLock, Timeout

    if not path.exists():
        return False
    probe = FileLock(str(path), timeout=0, mode=0o600)
    try:
        probe.acquire()
    except Timeout:
        return True
    probe.release()
    return False


def _write_holder(path: Path, holder: Holder | None) -> None:
    # Advisory: the OS lock is what excludes; a file we cannot write only costs `doctor`
    # the holder's name.
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.write(holder.to_text() if holder is not None else "")
    except OSError:
        pass


@contextmanager
def company_lock(
    path: Path,
    *,
    timeout: float | None,
    busy: str,
    hint: str,
    waiting: str | None = None,
    company: str | None = None,
    trace: Trace | None = None,
) -> Iterator[None]:
    """Hold the lock file at `path`, waiting up to `timeout` seconds for it (0: not at all;
    None: as long as it takes); LockHeld(`busy`, `hint`) when another process keeps it.
    A wait is reported to `trace` (default: the current one) for `company`, with `waiting`
    as its reason."""
    from filelock import FileLock, Timeout

    from uku_xero_cli.fsutil import ensure_private_dir
    from uku_xero_cli.trace import current_trace

    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=0, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        if timeout == 0:
            raise LockHeld(busy, hint=hint) from None
        holder = read_holder(path)
        reason = waiting or busy
        if holder is not None:
            reason += f" (pid {holder.pid}, {holder.command})"
        try:
            with (trace or current_trace()).for_company(company).waiting("lock", reason):
                lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise LockHeld(busy, hint=hint) from None
    _write_holder(path, _this_process())
    try:
        yield
    finally:
        _write_holder(path, None)
        lock.release()


def reload_lock_path(settings: Settings, company: str) -> Path:
    from uku_xero_cli.store.layout import CompanyFiles

    return CompanyFiles(settings, company).reload_lock


def reload_lock(
    settings: Settings, company: str, *, wait: bool = False
) -> AbstractContextManager[None]:
    """Hold the company's reload lock: a second reload fails at once, or queues with `wait`."""
    return company_lock(
        reload_lock_path(settings, company),
        timeout=None if wait else 0,
        busy=f"a reload of company '{company}' is already running",
        hint="wait for it to finish, or queue behind it with "
        f"`{command_line('reload', company, '--wait')}` (add --wait to the options you use)",
        waiting=f"another reload of company '{company}' is running",
        company=company,
    )


def push_lock_path(settings: Settings, company: str) -> Path:
    from uku_xero_cli.store.layout import CompanyFiles

    return CompanyFiles(settings, company).push_lock


def push_lock(settings: Settings, company: str) -> AbstractContextManager[None]:
    """One push per company at a time: two runs would race on the same invoices."""
    return company_lock(
        push_lock_path(settings, company),
        timeout=0,
        busy=f"another push-invoice for company '{company}' is running",
        hint="wait for it to finish and run this again",
    )
