"""Test helpers for hostile and broken input: running the CLI in-process with an environment
of the test's choosing, and snapshots of the config and data directories that show whether a
refused command left anything behind."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from uku_xero_cli.cli.app import main
from uku_xero_cli.cli.surroundings import Surroundings


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def run(
    *args: str,
    env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    stdin: str = "",
    cwd: Path | None = None,
) -> Ran:
    """uku-xero in this process: the test's environment (os.environ, which the autouse
    fixture points at private dirs) with `env` on top and `unset` removed."""
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(env or {})
    stdout, stderr = io.StringIO(), io.StringIO()
    around = Surroundings(
        environ=environ,
        cwd=cwd or Path.cwd(),
        stdin=io.StringIO(stdin),
        stdout=stdout,
        stderr=stderr,
    )
    code = main(list(args), around)
    return Ran(code, stdout.getvalue(), stderr.getvalue())


# path → (kind and size, modification time): what a refused command must leave as it was.
Snapshot = dict[str, tuple[str, int, int]]


def snapshot(*roots: Path) -> Snapshot:
    """Every file and directory under `roots` (paths, sizes, modification times)."""
    found: Snapshot = {}
    for root in roots:
        if not root.exists():
            continue
        for path in [root, *root.rglob("*")]:
            info = path.lstat()
            kind = "dir" if path.is_dir() else "file"
            # A directory's size and time change with its entries, which the paths show.
            size, mtime = (0, 0) if kind == "dir" else (info.st_size, info.st_mtime_ns)
            found[str(path)] = (kind, size, mtime)
    return found


def assert_refused_cleanly(ran: Ran, before: Snapshot, after: Snapshot, *named: str) -> None:
    """Exit 2, one `error:` line naming each of `named`, no traceback, nothing unexpected,
    and no file created, changed or removed."""
    assert ran.code == 2, (ran.code, ran.stderr)
    assert "Traceback" not in ran.stderr and "unexpected error" not in ran.stderr, ran.stderr
    [line] = ran.error_lines
    for name in named:
        assert name in line, (name, line)
    assert after == before
