"""Local throughput: records per second to parse, match and store contacts and invoices, with
the network taken out, against the official xero-python SDK deserialising the same pages
(target: ours, SQLite writes included, faster than the SDK's deserialisation alone).

A full reload of contacts and invoices runs once against the emulator (in-process) while
every answer is recorded. Then the reload runs again into a fresh store, `--repeat` times,
with the recorded answers replayed by the transport: what is timed is our side alone (HTTP
client, JSON decoding with Decimal money, parsing, matching contacts to clients, SQLite).
The SDK, installed in its own environment (never this project's), deserialises the very same
answer bodies into its models:

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install xero-python
    python benchmarks/throughput.py [--sdk-python /tmp/bench-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import common
import httpx

from uku_xero_cli.sync.reload import ReloadOptions, ReloadResult
from uku_xero_cli.sync.reload_companies import reload_company

HERE = Path(__file__).resolve().parent
DATA_SETS = ("contacts", "invoices")


@dataclass
class Recorder(httpx.BaseTransport):
    """Passes requests to the emulator and keeps each answer, by URL."""

    inner: httpx.BaseTransport
    answers: dict[str, tuple[int, list[tuple[str, str]], bytes]] = field(default_factory=dict)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        self.answers[str(request.url)] = (
            response.status_code,
            list(response.headers.items()),
            body,
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body)


@dataclass
class Replay(httpx.BaseTransport):
    """Answers each request with the recorded answer to the same URL: no emulator, no network."""

    answers: dict[str, tuple[int, list[tuple[str, str]], bytes]]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, body = self.answers[str(request.url)]
        return httpx.Response(status, headers=headers, content=body)


def reload(transport: httpx.BaseTransport, sandbox: object) -> ReloadResult:
    with common.private_dirs():
        settings = common.connect(sandbox)  # type: ignore[arg-type]
        result = reload_company(
            settings,
            common.COMPANY,
            ReloadOptions(full=True, only=DATA_SETS),
            transport=transport,
            pacer=common.free_pacer(),
            retry=common.no_wait_retry(),
        )
    if result.error is not None:
        raise SystemExit(f"reload failed: {result.error!r}")
    return result


def sdk_figures(python: str, pages: Path, repeat: int) -> dict[str, dict[str, float]] | str:
    """The SDK's figures, or why there are none."""
    if not Path(python).exists():
        return f"{python} does not exist"
    probe = subprocess.run([python, "-c", "import xero_python"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"xero-python is not importable with {python}"
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('xero-python'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    done = subprocess.run(
        [python, str(HERE / "sdk_deserialise.py"), str(pages), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"the SDK run failed: {done.stderr[-800:]}"
    figures: dict[str, dict[str, float]] = json.loads(done.stdout)
    figures["version"] = {"xero-python": version}  # type: ignore[dict-item]
    return figures


def profile(recorder: Recorder, sandbox: object) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    reload(Replay(recorder.answers), sandbox)
    profiler.disable()
    print("  where our time goes (one replayed reload, cProfile, own time):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sdk-python", default="/tmp/bench-venv/bin/python")
    parser.add_argument(
        "--profile", action="store_true", help="where our time goes: one replayed reload profiled"
    )
    args = parser.parse_args()
    common.header("local throughput")
    sandbox = common.emulator(contacts=args.contacts, invoices=args.invoices, items=40)
    recorder = Recorder(httpx.WSGITransport(app=sandbox))
    first = reload(recorder, sandbox)
    ours: dict[str, tuple[int, float]] = {}
    for _ in range(args.repeat):
        result = reload(Replay(recorder.answers), sandbox)
        for d in result.data_sets:
            best = ours.get(d.name, (d.fetched, float("inf")))[1]
            ours[d.name] = (d.fetched, min(best, d.seconds))
    assert all(d.fetched == ours[d.name][0] for d in first.data_sets)
    with tempfile.TemporaryDirectory(prefix="uku-xero-pages-") as folder:
        pages = Path(folder)
        for number, (url, (status, _, body)) in enumerate(sorted(recorder.answers.items())):
            path = httpx.URL(url).path.rsplit("/", 1)[-1]
            if status == 200 and path in ("Contacts", "Invoices"):
                (pages / f"{path}-{number:05d}.json").write_bytes(body)
        sdk = sdk_figures(args.sdk_python, pages, args.repeat)
    print(
        f"emulator: {args.contacts:,} contacts, {args.invoices:,} invoices (those in the "
        f"12-month window are read); best of {args.repeat}; replayed answers, no network"
    )
    print(
        f"  {'records':<10} {'count':>7} {'ours: parse+match+store':>26} {'SDK: deserialise':>20}"
    )
    for name in DATA_SETS:
        count, seconds = ours[name]
        line = f"  {name:<10} {count:>7,} {count / seconds:>20,.0f} /s"
        if isinstance(sdk, dict):
            theirs = sdk[name]
            rate = theirs["records"] / theirs["seconds"]
            line += f" {rate:>14,.0f} /s   ours {count / seconds / rate:.2f}x the SDK's rate"
            if theirs["records"] != count:
                line += f" (the SDK read {int(theirs['records']):,})"
        print(line)
    if args.profile:
        profile(recorder, sandbox)
    if isinstance(sdk, dict):
        print(f"  SDK: xero-python {sdk['version']['xero-python']} with {args.sdk_python}")
    else:
        print(f"  SDK: not measured: {sdk}")
        print("  (python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install xero-python)")


if __name__ == "__main__":
    main()
