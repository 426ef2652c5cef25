"""Every benchmark, one after another, each in a process of its own, after the machine facts.

    python benchmarks/run_all.py [--quick]

`--quick` shrinks each benchmark (fewer runs, smaller organisations) to check that the
scripts work; its figures are not the ones to record.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import common

HERE = Path(__file__).resolve().parent

BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    # (script, arguments, arguments with --quick)
    ("startup.py", ["--runs", "15"], ["--runs", "3"]),
    ("reload_economy.py", [], ["--contacts", "5000", "--items", "200", "--invoices", "3000"]),
    ("throughput.py", [], ["--contacts", "3000", "--invoices", "3000", "--repeat", "1"]),
    ("pacing.py", [], ["--contacts", "24000", "--window", "1"]),
    ("memory.py", [], ["--sizes", "1000,10000"]),
    ("check_paid.py", [], ["--invoices", "300"]),
    ("sandbox_generation.py", [], ["--contacts", "10000", "--runs", "1"]),
    # 1,000 companies and the minutes-long held run take about 12 minutes: run batch.py on its
    # own for the recorded figures (benchmarks/README.md says how); here a smaller batch.
    (
        "batch.py",
        ["--companies", "200", "--parallel", "1,8", "--held", "0"],
        ["--companies", "20", "--parallel", "2", "--tokens", "fresh", "--held", "0"],
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(common.machine())
    failed: list[str] = []
    for script, full, quick in BENCHMARKS:
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n$ python benchmarks/{script} {' '.join(command[2:])}".rstrip(), flush=True)
        began = time.perf_counter()
        done = subprocess.run(command)
        print(f"({time.perf_counter() - began:.0f} s)", flush=True)
        if done.returncode != 0:
            failed.append(script)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
