"""Start-up: `uku-xero --help` and `uku-xero status --offline` against `python -c "import typer"`.

Each is run as a fresh process, `--runs` times, interleaved so that a slow moment of the
machine hits all three alike; the median wall time is compared (target: within 1.3x of
typer's import). `status --offline` reads a connected company's files from a private config
dir. With `--importtime` (or when the target is missed) the modules that cost most at
start-up are listed, from `python -X importtime`.

    python benchmarks/startup.py [--runs 15] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import common

TARGET = 1.3
# The least any command of a Typer 0.29 program can cost: Typer coerces option values through
# pydantic, which it imports only when a command runs (not for --help).
MINIMAL_COMMAND = """
import typer
app = typer.Typer()
@app.command()
def main(offline: bool = False) -> None:
    pass
app(["--offline"], standalone_mode=False)
"""


# Where the time of `--help` goes, measured inside one fresh process.
HELP_SPLIT = """
import contextlib, io, time
t0 = time.perf_counter()
import typer
t1 = time.perf_counter()
from uku_xero_cli.cli.app import main
t2 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    main(["--help"])
t3 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.1f} {(t2 - t1) * 1000:.1f} {(t3 - t2) * 1000:.1f}")
"""


def console_script() -> list[str]:
    """The installed `uku-xero` next to this Python, as a user runs it; else `-m`."""
    beside = Path(sys.executable).with_name("uku-xero")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("uku-xero")
    return [found] if found else [sys.executable, "-m", "uku_xero_cli"]


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-500:]}"
        )
    return seconds


def import_costs(command: list[str], env: dict[str, str]) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the top-level imports `-X importtime` reports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command], env=env, capture_output=True, text=True
    )
    costs: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        # "import time:  self [us] | cumulative | imported package" (nesting by indentation)
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        costs.append((int(parts[1]), parts[2].rstrip()))
    return costs


def _depth(name: str) -> int:
    # -X importtime indents a nested import by two more spaces than its importer.
    return (len(name) - len(name.lstrip(" ")) - 1) // 2


def report_imports(title: str, args: list[str], env: dict[str, str]) -> None:
    """The imports made directly by the program (not nested in another), costliest first,
    each with its costliest direct imports; an import done while a command runs (lazily)
    shows up here too."""
    costs = import_costs(["-m", "uku_xero_cli", *args], env)
    children: dict[str, list[tuple[int, str]]] = {}
    pending: list[tuple[int, str]] = []
    top: list[tuple[int, str]] = []
    for cumulative, name in costs:  # an importer is listed after the imports it made
        if _depth(name) == 0:
            top.append((cumulative, name.strip()))
            children[name.strip()] = sorted(pending, reverse=True)
            pending = []
        elif _depth(name) == 1:
            pending.append((cumulative, name.strip()))
    print(f"  costliest imports of `{title}` (python -X importtime, cumulative ms):")
    for cumulative, name in sorted(top, reverse=True):
        if cumulative < 5000:  # microseconds
            break
        print(f"    {cumulative / 1000:7.1f}  {name}")
        for inner, child in children.get(name, [])[:5]:
            if inner >= 500:
                print(f"    {inner / 1000:7.1f}    {child}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    common.header("start-up")
    script = console_script()
    with common.private_dirs():
        sandbox = common.emulator(contacts=5, items=2, invoices=5)
        common.connect(sandbox)
        env = dict(os.environ)
        env["UKU_XERO_COMPANY"] = common.COMPANY
        commands = {
            'python -c "import typer"': [sys.executable, "-c", "import typer"],
            "uku-xero --help": [*script, "--help"],
            "uku-xero status --offline": [*script, "status", "--offline"],
            "minimal Typer command": [sys.executable, "-c", MINIMAL_COMMAND],
        }
        for command in commands.values():  # warm the file cache and .pyc files
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command, env))
        base = common.median(times['python -c "import typer"'])
        print(f"  {'command':<28} {'median':>9} {'min':>9} {'vs typer':>9}   ({args.runs} runs)")
        missed = False
        for name, values in times.items():
            ratio = common.median(values) / base
            flag = ""
            if name.startswith("uku-xero") and ratio > TARGET:
                flag = f"  over the {TARGET}x target by {(ratio / TARGET - 1) * 100:.0f}%"
                missed = True
            print(
                f"  {name:<28} {common.median(values) * 1000:7.1f}ms {min(values) * 1000:7.1f}ms "
                f"{ratio:8.2f}x{flag}"
            )
        print(f"  command used for uku-xero: {' '.join(script)}")
        splits = [
            [
                float(x)
                for x in subprocess.check_output(
                    [sys.executable, "-c", HELP_SPLIT], env=env
                ).split()
            ]
            for _ in range(5)
        ]
        typer_ms, ours_ms, help_ms = (common.median([s[i] for s in splits]) for i in range(3))
        print(
            f"  inside `--help` (median of 5): import typer {typer_ms:.1f} ms, uku_xero_cli's "
            f"modules {ours_ms:.1f} ms, Typer building and printing the help {help_ms:.1f} ms"
        )
        if missed or args.importtime:
            report_imports("uku-xero --help", ["--help"], env)
            report_imports("uku-xero status --offline", ["status", "--offline"], env)


if __name__ == "__main__":
    main()
