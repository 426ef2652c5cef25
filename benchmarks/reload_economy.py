"""Reload economy: requests a full and an incremental reload make, against the fewest possible.

An organisation with 100,000 contacts, 2,000 items and 50,000 invoices in the emulator
(in-process; Xero's limits lifted so only the count matters). The fewest possible requests
for a full reload are the pages at pageSize 1000 of each paged data set (contacts, invoices,
credit notes, bank transactions, manual journals: at least one each) plus one per unpaged
data set (items, tax rates, currencies). For an incremental reload of an unchanged
organisation the fewest is one request per data set.

    python benchmarks/reload_economy.py [--contacts N] [--items N] [--invoices N]
"""

from __future__ import annotations

import argparse
import math
import time

import common

from uku_xero_cli.sync.datasets import REGISTRY
from uku_xero_cli.sync.reload import ReloadOptions, ReloadResult
from uku_xero_cli.sync.reload_companies import reload_company

UNPAGED = {d.name for d in REGISTRY if not d.paged}


def fewest(result: ReloadResult, incremental: bool) -> dict[str, int]:
    if incremental:
        return {d.name: 1 for d in result.data_sets}
    return {
        d.name: 1 if d.name in UNPAGED else max(1, math.ceil(d.fetched / 1000))
        for d in result.data_sets
    }


def reload_once(sandbox: object, settings: object, full: bool) -> tuple[ReloadResult, float, float]:
    """The result, its wall time, and the part of it spent inside the emulator."""
    transport = common.in_process(sandbox)  # type: ignore[arg-type]
    began = time.perf_counter()
    result = reload_company(
        settings,  # type: ignore[arg-type]
        common.COMPANY,
        ReloadOptions(full=full),
        transport=transport,
        pacer=common.free_pacer(),
        retry=common.no_wait_retry(),
    )
    seconds = time.perf_counter() - began
    if result.error is not None:
        raise SystemExit(f"reload failed: {result.error!r}")
    sent = len(transport.api())
    if sent != result.requests:
        print(f"  note: the emulator saw {sent} API requests, the reload counted {result.requests}")
    return result, seconds, sum(s.seconds for s in transport.sent)


def table(result: ReloadResult, incremental: bool) -> int:
    least = fewest(result, incremental)
    print(f"  {'data set':<18} {'fetched':>8} {'requests':>9} {'fewest':>7}")
    for d in result.data_sets:
        print(f"  {d.name:<18} {d.fetched:>8} {d.requests:>9} {least[d.name]:>7}")
    total = sum(least.values())
    ratio = result.requests / total
    print(
        f"  {'total':<18} {sum(d.fetched for d in result.data_sets):>8} "
        f"{result.requests:>9} {total:>7}   ({ratio:.2f}x the fewest)"
    )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--invoices", type=int, default=50_000)
    args = parser.parse_args()
    common.header("reload economy")
    began = time.perf_counter()
    sandbox = common.emulator(contacts=args.contacts, items=args.items, invoices=args.invoices)
    print(
        f"emulator: {args.contacts:,} contacts, {args.items:,} items, {args.invoices:,} "
        f"invoices (built in {time.perf_counter() - began:.1f} s); in-process transport"
    )
    with common.private_dirs():
        settings = common.connect(sandbox)
        full, seconds, serving = reload_once(sandbox, settings, full=True)
        print(f"full reload: {seconds:.1f} s, of which {serving:.1f} s in the emulator")
        table(full, incremental=False)
        again, seconds, serving = reload_once(sandbox, settings, full=False)
        print(
            f"incremental reload, nothing changed: {seconds:.2f} s, of which {serving:.2f} s "
            "in the emulator"
        )
        table(again, incremental=True)


if __name__ == "__main__":
    main()
