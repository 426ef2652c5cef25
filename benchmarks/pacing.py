"""Pacing: the share of Xero's per-minute limit a long reload achieves (target: at least 90 %,
with no 429).

Xero's minute is scaled down so the benchmark takes seconds: the emulator allows 60 calls per
5-second window (`minute_window`), and the reload's pacer is told the same window. A reload
of contacts at a small page size makes a few hundred requests. After the first window's
burst, each further window can admit at most 60 calls, so the share achieved is

    (requests - 60) / (60 x (last start - first start) / window)

and the most calls started within any one window must never exceed 60.

    python benchmarks/pacing.py [--contacts 36000] [--page-size 100] [--window 5] [--loopback]
"""

from __future__ import annotations

import argparse
import bisect
import os
import time

import common
import httpx

from uku_xero_cli.sandbox import environment
from uku_xero_cli.sandbox.config import PUBLIC_CLIENT_ID
from uku_xero_cli.sandbox.server import serve_in_thread
from uku_xero_cli.sync.reload import ReloadOptions
from uku_xero_cli.sync.reload_companies import reload_company
from uku_xero_cli.xero.pacing import PaceLimits, Pacer

LIMIT = 60
TARGET = 0.90


def busiest_window(starts: list[float], window: float) -> int:
    """The most requests started within any span of `window` seconds."""
    return max(
        (bisect.bisect_left(starts, start + window) - i for i, start in enumerate(starts)),
        default=0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=36_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument(
        "--loopback", action="store_true", help="real HTTP on 127.0.0.1 instead of in-process"
    )
    args = parser.parse_args()
    common.header("pacing")
    sandbox = common.emulator(
        contacts=args.contacts,
        items=10,
        invoices=50,
        minute_limit=LIMIT,
        minute_window=args.window,
    )
    with common.private_dirs(), serve_in_thread(sandbox) as server:
        if args.loopback:
            os.environ.update(environment(server.url, PUBLIC_CLIENT_ID))
            transport = common.CountingTransport(httpx.HTTPTransport())
        else:
            transport = common.in_process(sandbox)
        settings = common.connect(sandbox)
        pacer = Pacer(PaceLimits(per_minute=LIMIT, window=args.window))
        began = time.perf_counter()
        result = reload_company(
            settings,
            common.COMPANY,
            ReloadOptions(only=("contacts",), page_size=args.page_size),
            transport=transport,
            pacer=pacer,
        )
        seconds = time.perf_counter() - began
    if result.error is not None:
        raise SystemExit(f"reload failed: {result.error!r}")
    sent = transport.api()
    if len(sent) <= 2 * LIMIT:
        raise SystemExit(f"only {len(sent)} requests: too few to measure; use more contacts")
    starts = sorted(s.started for s in sent)
    refused = sum(1 for s in sent if s.status == 429)
    span = starts[-1] - starts[0]
    share = (len(sent) - LIMIT) / (LIMIT * span / args.window) if span > 0 else 0.0
    print(
        f"limit: {LIMIT} calls per {args.window:g} s window (Xero's minute scaled down); "
        f"{args.contacts:,} contacts at pageSize {args.page_size}, "
        f"{'loopback HTTP' if args.loopback else 'in-process transport'}"
    )
    print(f"  requests            {len(sent)} in {seconds:.1f} s (429 answers: {refused})")
    print(f"  busiest window      {busiest_window(starts, args.window)} calls (limit {LIMIT})")
    flag = "" if share >= TARGET and refused == 0 else f"  (target {TARGET:.0%}, no 429: missed)"
    print(f"  share of the limit  {share:.1%} after the first window{flag}")
    print(f"  pacer waited        {pacer.stats(sandbox_tenant(sandbox)).waited:.1f} s in all")


def sandbox_tenant(sandbox: object) -> str:
    return str(sandbox.state.default_user().tenant_ids[0])  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
