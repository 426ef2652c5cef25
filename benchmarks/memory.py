"""Memory: peak RSS of a reload of 1,000 against 100,000 contacts (target: flat, because
pages are streamed to the store, not held).

The emulator runs in this process and serves real loopback HTTP; each reload runs in a
child process of its own, so its peak RSS (VmHWM) is the reload's alone. Besides contacts,
each organisation holds the same few items and invoices. A child that only imports what a
reload imports gives the floor.

    python benchmarks/memory.py [--sizes 1000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import common

from uku_xero_cli.sandbox import environment
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.server import serve_in_thread


def peak_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB; ru_maxrss where /proc is absent."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(imports_only: bool) -> None:
    from uku_xero_cli.sync.reload import ReloadOptions
    from uku_xero_cli.sync.reload_companies import reload_company
    from uku_xero_cli.xero.client import XeroClient  # noqa: F401  (what a reload imports)

    if imports_only:
        print(json.dumps({"peak_kib": peak_kib()}))
        return
    result = reload_company(
        common.load_settings(),
        common.COMPANY,
        ReloadOptions(full=True),
        pacer=common.free_pacer(),
        retry=common.no_wait_retry(),
    )
    if result.error is not None:
        raise SystemExit(f"reload failed: {result.error!r}")
    fetched = {d.name: d.fetched for d in result.data_sets}
    print(json.dumps({"peak_kib": peak_kib(), "fetched": fetched, "seconds": result.seconds}))


def measure(contacts: int, imports_only: bool = False) -> dict[str, object]:
    sandbox = common.emulator(contacts=contacts, items=40, invoices=600)
    with common.private_dirs(), serve_in_thread(sandbox) as server:
        os.environ.update(environment(server.url, PUBLIC_CLIENT_ID))
        common.connect(sandbox)
        command = [sys.executable, __file__, "--child"]
        if imports_only:
            command.append("--imports-only")
        done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ))
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--imports-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.imports_only)
        return
    common.header("memory")
    floor = measure(1, imports_only=True)
    print(f"  {'reload':<34} {'peak RSS':>10}")
    print(f"  {'(imports only, no reload)':<34} {int(floor['peak_kib']) / 1024:8.1f} MiB")  # type: ignore[call-overload]
    peaks: list[float] = []
    for size in (int(s) for s in args.sizes.split(",")):
        found = measure(size)
        peak = int(found["peak_kib"]) / 1024  # type: ignore[call-overload]
        peaks.append(peak)
        fetched = found["fetched"]
        assert isinstance(fetched, dict)
        print(
            f"  {size:>7,} contacts (full reload, {sum(fetched.values()):,} records) "
            f"{peak:8.1f} MiB   {float(found['seconds']):.1f} s"  # type: ignore[arg-type]
        )
    growth = peaks[-1] / peaks[0]
    verdict = "flat" if growth <= 1.15 else "NOT flat"
    print(f"  largest / smallest: {growth:.2f}x ({verdict}; target flat)")


if __name__ == "__main__":
    main()
