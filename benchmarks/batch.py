"""Many companies at Xero's ceiling: `uku-xero reload --all --parallel N` over 1,000 connected
companies whose organisations did not change, with the emulator in a process of its own.

Xero caps an app at 10,000 requests a minute over all organisations. An unchanged company
costs one request per data set (an `If-Modified-Since` read, or the whole of a small unpaged
set), so the ceiling for `reload --all` is 10,000 / (requests per unchanged company) companies
a minute; the requests are counted from the reload's own JSON, not assumed. Target: at the
ceiling on this machine (2 cores, the emulator sharing them): our side must go at least that
fast, so that Xero's cap, not uku-xero, sets the pace.

Three measurements:

- **Capacity.** The app-wide limit lifted on both sides (the emulator's and the client's
  `UKU_XERO_APP_MAX_PER_MINUTE`; the per-organisation limits stay Xero's), so a run shows how
  many companies a minute uku-xero itself manages. 1,000 unchanged companies are 9,000
  requests, under one minute's 10,000, so with the limit in place a run this short would not
  meet it either, and back-to-back runs would share one rolling minute of the emulator's.
  Each N runs with the access tokens fresh, and with every one expired first (at the emulator
  and in the token files): the nightly cron case, where each company refreshes its token at
  Xero's identity service (which does not count against the API's limit) before its reads.
- **At a network's latency** (`--latency SECONDS`, the emulator's standing latency added to
  every answer): on loopback an answer takes a millisecond or two, over the internet to Xero
  far longer, and a company's reads are one after another, so how many companies a minute
  `--parallel N` can reach then is what decides whether a real batch meets the ceiling.
  Xero's own answer times are not documented here: the latency is a parameter, not a claim.
- **Held at a ceiling.** The same reload with the app-wide limit scaled down to `--scaled`
  requests a minute on both sides, starting from an empty minute (the emulator's counted
  calls forgotten), so that it lasts a few minutes. A minute admits at most `--scaled` calls,
  so the last of R calls cannot start before floor((R - 1) / scaled) minutes after the first;
  the share of the ceiling kept is that span over the span taken (first to last start, from
  the emulator's request log), with the most calls started within any 60 s (never more than
  the ceiling) and the 429s the emulator answered. `--held 0` leaves it out.

Set-up, not timed: `uku-xero sandbox --orgs 1000 ...` (small organisations) in a subprocess;
one sign-in per company through the emulator's authorize and token endpoints (consent to that
company's organisation only), its tokens written with `tokens.TokenStore` as `auth` would
write them; then one `reload --all` imports every organisation. Each run is a fresh
`uku-xero reload --all --parallel N --json` process: wall time, companies a minute, its CPU
seconds (user + system, from wait4) per company, its peak RSS, and the emulator's CPU in the
same time (from /proc).

    python benchmarks/batch.py [--companies 1000] [--parallel 1,4,8,16] [--tokens fresh,expired]
                               [--held 8] [--scaled 3000] [--latency 0.1]
                               [--latency-parallel 16,32] [--profile N]

`--profile N` runs one more capacity run with N in parallel under cProfile and prints where
its time went (`--profile 1`: the threads of a larger N are not profiled).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import common
import httpx

from uku_xero_cli.settings import DEFAULT_SCOPES, load_settings
from uku_xero_cli.tokens import CompanyTokens, TokenStore

XERO_CEILING = 10_000  # requests a minute per app, across organisations
REDIRECT_URI = "http://localhost:8763/callback"  # what the emulator registers by default


@contextmanager
def emulator(organisations: int) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """`uku-xero sandbox` on a free port in a subprocess, and the variables it prints."""
    command = [sys.executable, "-m", "uku_xero_cli", "sandbox", "--port", "0"]
    command += ["--orgs", str(organisations), "--contacts", "5", "--items", "3"]
    command += ["--invoices", "5"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        variables: dict[str, str] = {}
        assert process.stdout is not None
        while "UKU_XERO_API_URL" not in variables:
            line = process.stdout.readline()
            if not line:
                raise SystemExit(f"the emulator did not start: {process.stderr.read()}")  # type: ignore[union-attr]
            found = re.match(r"export (\w+)=(.*)", line.strip())
            if found:
                variables[found.group(1)] = found.group(2)
        yield process, variables
    finally:
        process.terminate()
        process.wait(timeout=30)


def admin(variables: dict[str, str]) -> httpx.Client:
    base = variables["UKU_XERO_API_URL"].removesuffix("/api.xro/2.0")
    return httpx.Client(base_url=base, timeout=60)


def sign_in(http: httpx.Client, client_id: str, tenant: str) -> dict[str, Any]:
    """One PKCE sign-in consenting to `tenant` only: the token endpoint's answer."""
    assert http.post("/_sandbox/consent", json={"mode": "auto", "tenants": [tenant]}).is_success
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": DEFAULT_SCOPES,
        "state": "bench",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    redirect = http.get("/identity/connect/authorize", params=query)
    assert redirect.status_code == 302, redirect.text
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    answer = http.post("/connect/token", data=form)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def xero_user(id_token: str) -> str:
    payload = id_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["xero_userid"])


def connect_companies(http: httpx.Client, client_id: str, count: int) -> None:
    """A token file per company, each connected to an organisation of its own."""
    orgs = http.get("/_sandbox/orgs").json()["orgs"]
    if len(orgs) < count:
        raise SystemExit(f"the emulator has {len(orgs)} organisations, not {count}")
    store = TokenStore(load_settings())
    answers = [(n, org, sign_in(http, client_id, org["tenantId"])) for n, org in enumerate(orgs)]
    listed = http.get("/_sandbox/connections").json()["connections"]
    connections = {c["tenantId"]: c["id"] for c in listed}
    now = datetime.now(UTC).replace(microsecond=0)
    for n, org, answer in answers[:count]:
        store.save(
            CompanyTokens(
                company=f"co{n:04d}",
                tenant_id=org["tenantId"],
                tenant_name=org["name"],
                tenant_type="ORGANISATION",
                connection_id=connections[org["tenantId"]],
                access_token=answer["access_token"],
                refresh_token=answer["refresh_token"],
                expires_at=now + timedelta(seconds=int(answer["expires_in"])),
                scopes=answer["scope"].split(),
                user_id=xero_user(answer["id_token"]),
                connected_at=now,
            )
        )


def expire_tokens(http: httpx.Client) -> None:
    """Every access token expired, at the emulator and in the token files: as after a night,
    each company refreshes before its first read."""
    from dataclasses import replace

    assert http.post("/_sandbox/tokens/expire").is_success
    store = TokenStore(load_settings())
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    for company in store.companies():
        record = store.load(company)
        assert record is not None
        store.save(replace(record, expires_at=past))


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a running process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reload_all(
    parallel: int, environment: dict[str, str], emulator_pid: int, *, profile: Path | None = None
) -> dict[str, Any]:
    """One `reload --all --parallel N --json` in a fresh process, measured."""
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "uku_xero_cli", "reload", "--all", "--parallel", str(parallel), "--json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        emulator_before = cpu_seconds(emulator_pid)
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=environment)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        emulator_cpu = cpu_seconds(emulator_pid) - emulator_before
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        document = json.loads(out.read() or b"{}")
        errors = err.read().decode(errors="replace")
    results = document.get("companies", [])
    failed = [r["company"] for r in results if not r.get("ok")]
    if process.returncode != 0 or failed:
        raise SystemExit(
            f"reload --all failed ({process.returncode}): {failed[:5]} {errors[-400:]}"
        )
    return {
        "parallel": parallel,
        "companies": len(results),
        "seconds": seconds,
        "requests": sum(r["requests"] for r in results),
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "emulator_cpu": emulator_cpu,
    }


def too_many(http: httpx.Client) -> int:
    refused = http.get("/_sandbox/requests", params={"status": 429}).json()
    http.delete("/_sandbox/requests")
    return int(refused["count"])


def profile_summary(path: Path, lines: int = 30) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(r"uku_xero_cli", lines)
    stats.sort_stats("tottime").print_stats(lines // 2)


def set_app_limit(http: httpx.Client, environment: dict[str, str], per_minute: int) -> None:
    """The app-wide limit, at the emulator and for the next reload processes."""
    answer = http.patch("/_sandbox/limits", json={"app_minute_limit": per_minute})
    assert answer.is_success, answer.text
    environment["UKU_XERO_APP_MAX_PER_MINUTE"] = str(per_minute)


def row(parallel: int, tokens: str, run: dict[str, Any], ceiling_requests: int) -> str:
    per_company = run["requests"] / run["companies"]  # API calls (a refresh is not one)
    ceiling = ceiling_requests / per_company
    rate = run["companies"] / run["seconds"] * 60
    return (
        f"| {parallel} | {tokens} | {run['seconds']:.1f} | {rate:,.0f} | {rate / ceiling:.0%} | "
        f"{per_company:.1f} | {run['cpu'] / run['companies'] * 1000:.1f} ms | "
        f"{run['peak_mib']:.1f} | {run['emulator_cpu']:.1f} | {run['429s']} |"
    )


HEADER = (
    "| --parallel | tokens | wall s | companies/min | of the ceiling | API requests/company | "
    "CPU/company | peak RSS MiB | emulator CPU s | 429s |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def api_starts(http: httpx.Client) -> list[float]:
    """When each API call the emulator logged started, in seconds, oldest first."""
    logged = http.get("/_sandbox/requests", params={"path": "/api.xro/2.0"}).json()["requests"]
    return sorted(datetime.fromisoformat(r["timestamp"]).timestamp() for r in logged)


def busiest_minute(starts: list[float]) -> int:
    """The most calls started within any 60 seconds."""
    return max(
        (bisect.bisect_left(starts, start + 60) - i for i, start in enumerate(starts)), default=0
    )


def held(
    http: httpx.Client, environment: dict[str, str], emulator_pid: int, parallel: int, limit: int
) -> None:
    """One reload with the app-wide limit at `limit` a minute on both sides, from an empty
    minute: how close to that ceiling it keeps, and that it never goes over."""
    set_app_limit(http, environment, limit)
    assert http.delete("/_sandbox/rate-limit").is_success  # an empty minute, as before a night
    too_many(http)
    run = reload_all(parallel, environment, emulator_pid)
    starts = api_starts(http)
    refused = too_many(http)
    set_app_limit(http, environment, common.UNLIMITED)
    common.header(f"held at a ceiling of {limit:,} requests a minute, --parallel {parallel}")
    rate = run["companies"] / run["seconds"] * 60
    print(
        f"{run['requests']:,} API requests of {run['companies']} companies in "
        f"{run['seconds']:.1f} s ({rate:,.0f} companies a minute, the first minute's burst "
        f"included); busiest 60 s: {busiest_minute(starts):,}; 429s: {refused}; "
        f"CPU {run['cpu'] / run['companies'] * 1000:.1f} ms a company; "
        f"peak RSS {run['peak_mib']:.1f} MiB"
    )
    span = starts[-1] - starts[0] if starts else 0.0
    fewest = (len(starts) - 1) // limit * 60  # seconds the ceiling allows between first and last
    if fewest == 0 or span <= 0:
        print(f"not held: {len(starts):,} calls fit within one minute of {limit:,}")
        return
    ceiling = limit / (run["requests"] / run["companies"])
    print(
        f"first to last call: {span:.1f} s, the fewest the ceiling allows: {fewest} s; "
        f"share of the ceiling kept: {fewest / span:.1%} "
        f"(the ceiling: {ceiling:,.0f} companies a minute)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--parallel", default="1,4,8,16", help="comma-separated N of --parallel")
    parser.add_argument("--tokens", default="fresh,expired", help="fresh and/or expired")
    parser.add_argument("--held", type=int, default=8, help="N of the run held at a ceiling")
    parser.add_argument("--scaled", type=int, default=3000, help="that ceiling, requests/min")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    parser.add_argument("--latency-parallel", default="16", help="N of the runs at --latency")
    parser.add_argument("--profile", type=int, default=0, help="N for one more, profiled run")
    args = parser.parse_args()
    runs = [int(n) for n in args.parallel.split(",") if n]
    token_states = [t for t in args.tokens.split(",") if t]

    print(common.machine())
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with common.private_dirs() as root, emulator(args.companies) as (process, variables):
        os.environ.update(variables)
        environment = dict(os.environ)
        with admin(variables) as http:
            started = time.monotonic()
            connect_companies(http, variables["XERO_CLIENT_ID"], args.companies)
            took = time.monotonic() - started
            print(f"set-up: {args.companies} sign-ins and token files in {took:.1f} s")
            set_app_limit(http, environment, common.UNLIMITED)
            first = reload_all(16, environment, process.pid)
            too_many(http)
            print(f"first reload (every organisation imported whole): {first['seconds']:.1f} s")

            common.header(f"capacity: reload --all of {args.companies} unchanged companies")
            print(HEADER)
            for parallel in runs:
                for tokens in token_states:
                    if tokens == "expired":
                        expire_tokens(http)
                    run = reload_all(parallel, environment, process.pid)
                    run["429s"] = too_many(http)
                    print(row(parallel, tokens, run, XERO_CEILING), flush=True)
            if runs:
                per_company = run["requests"] / run["companies"]
                print(
                    f"ceiling: {XERO_CEILING:,} requests a minute / {per_company:.0f} requests "
                    f"per unchanged company = {XERO_CEILING / per_company:,.0f} companies a minute"
                )

            if args.latency:
                assert http.post("/_sandbox/faults", json={"latency": args.latency}).is_success
                common.header(f"capacity with {args.latency * 1000:.0f} ms added to every answer")
                print(HEADER)
                for parallel in (int(n) for n in args.latency_parallel.split(",") if n):
                    run = reload_all(parallel, environment, process.pid)
                    run["429s"] = too_many(http)
                    print(row(parallel, "fresh", run, XERO_CEILING), flush=True)
                assert http.delete("/_sandbox/faults").is_success

            if args.held:
                held(http, environment, process.pid, args.held, args.scaled)

            if args.profile:
                path = root / "reload.prof"
                run = reload_all(args.profile, environment, process.pid, profile=path)
                too_many(http)
                print(f"profiled run, --parallel {args.profile}: {run['seconds']:.1f} s")
                profile_summary(path)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
