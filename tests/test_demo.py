"""`uku-xero demo` end to end: every step runs for real against the emulator, in-process
(and, for what a pipe receives, as a real process)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from uku_xero_cli.cli.app import main
from uku_xero_cli.cli.surroundings import Surroundings
from uku_xero_cli.sandbox.config import SandboxConfig

Cli = Callable[..., CliResult]

COMMANDS = [
    "uku-xero auth --tenant 'Uku Demo Ltd'",
    "uku-xero orgs",
    "uku-xero clients import clients.csv",
    "uku-xero reload",
    "uku-xero clients",
    "uku-xero stats --months 6",
    "uku-xero push-invoice invoices/UKU-DEMO-0001.json invoices/UKU-DEMO-0002.json",
    "uku-xero check-paid",
    "uku-xero status",
    "uku-xero disconnect --yes",
]


def _workdir(stdout: str) -> Path:
    found = re.search(r"throw-away config and data directory: (\S+)", stdout)
    assert found, stdout[:500]
    return Path(found.group(1))


def _section(stdout: str, command: str) -> str:
    """What one command printed: from its `$ ` line to the next step's heading."""
    start = stdout.index(f"$ {command}\n")
    end = stdout.find("\n# ", start)
    return stdout[start : end if end != -1 else None]


# What commands say on stderr, each with the command of the step it belongs to.
MESSAGES = {
    COMMANDS[0]: "Signing in at the emulator, which consents at once (no browser is opened)",
    COMMANDS[2]: "Imported 3 clients from clients.csv into company 'default'",
    COMMANDS[6]: "2 created; 4 requests to Xero",
    COMMANDS[7]: "1 paid, 1 part paid",
}


def test_demo_runs_every_step_and_shows_what_a_user_sees(
    cli: Cli, isolated_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.cli import demo

    real = demo.demo_config
    # Strict: the emulator answers 400 to any request that does not fit Xero's spec.
    monkeypatch.setattr(demo, "demo_config", lambda port: real(port, strict=True))
    environment = dict(os.environ)
    cwd = os.getcwd()

    result = cli("demo")

    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr
    for command in COMMANDS:
        assert f"\n$ {command}\n" in result.stdout
    assert result.stdout.index("$ uku-xero reload") < result.stdout.index("$ uku-xero check-paid")
    # Each command's messages are in the transcript, with its own step; the demo's stderr
    # stays empty when all goes well.
    for command, message in MESSAGES.items():
        assert message in _section(result.stdout, command)
    assert result.stderr == ""
    # What step 1 says is what it does: no picker is shown, no browser opened.
    assert "--tenant picks one as a script would" in result.stdout
    assert "Opening the browser" not in result.stdout
    assert "Connected company 'default' to Uku Demo Ltd" in result.stdout
    orgs = _section(result.stdout, "uku-xero orgs")
    assert "Uku Demo Ltd" in orgs and "Uku Demo OÜ" in orgs
    reload = _section(result.stdout, "uku-xero reload")
    assert re.search(r"clients \(contacts\)\s*│\s*full\s*│\s*40\b", reload)
    assert re.search(r"total\s*│.*│\s*ok", reload)
    assert "1 by email, 1 by registration number" in reload
    clients = _section(result.stdout, "uku-xero clients")
    assert "(registration" in clients and "(email)" in clients
    pushed = _section(result.stdout, COMMANDS[6])
    assert re.search(
        r"UKU-DEMO-0001 .*│ linked .*│\s+630\.00 │ GBP .* AUTHORISED │ created", pushed
    )
    assert re.search(
        r"UKU-DEMO-0002 .*│ created .*│\s+1,764\.00 │ GBP .* AUTHORISED │ created", pushed
    )
    assert "UKU-DEMO-0001 paid in full: GBP 630.00" in result.stdout
    paid = _section(result.stdout, "uku-xero check-paid")
    assert re.search(r"UKU-DEMO-0001 .*│ paid\s+│ PAID\s+│ GBP .* 630\.00 │\s+0\.00 │", paid)
    assert re.search(r"UKU-DEMO-0002 .*│ part paid │ AUTHORISED │", paid)
    # 3: a lookup for a contact an earlier run may have made for the imported client, the
    # contact created, the invoices (MESSAGES).
    assert "state          connected" in _section(result.stdout, "uku-xero status")
    assert "Disconnected company 'default' from Uku Demo Ltd." in result.stdout
    assert "Done: 12 steps" in result.stdout

    # Its own throw-away directory is gone, and it says so after the path disconnect named;
    # the user's config and data were never touched.
    workdir = _workdir(result.stdout)
    assert not workdir.exists()
    assert (
        f"# Removed {workdir} with everything in it"
        in result.stdout.split("$ uku-xero disconnect")[1]
    )
    assert not isolated_dirs["config"].exists()
    assert not isolated_dirs["data"].exists()
    assert dict(os.environ) == environment
    assert os.getcwd() == cwd


def test_demo_json_summary_lists_each_step_with_its_exit_code_and_keep_keeps_the_dir(
    cli: Cli, isolated_dirs: dict[str, Path]
) -> None:
    result = cli("demo", "--json", "--keep")

    assert result.exit_code == 0, result.stdout + result.stderr
    document = result.json()
    assert isinstance(document, dict)
    assert document["ok"] is True
    assert document["organisation"] == "Uku Demo Ltd"
    steps = document["steps"]
    commands = [s["command"] for s in steps if s["kind"] == "uku-xero"]
    assert commands == COMMANDS
    payments = [s for s in steps if s["kind"] == "xero"]
    assert len(payments) == 2 and all("/payments" in s["command"] for s in payments)
    assert all(s["exit_code"] == 0 and s["ok"] for s in steps)
    workdir = Path(document["workdir"])
    try:
        stores = workdir / "data" / "companies" / "default"
        assert (stores / "company.sqlite").exists() and len(list(stores.glob("*.sqlite"))) == 2
        assert (workdir / "invoices" / "UKU-DEMO-0001.json").exists()
        assert (
            (workdir / "clients.csv")
            .read_text(encoding="utf-8")
            .startswith("id,name,email,registration_number,vat_number\n")
        )
    finally:
        shutil.rmtree(workdir)
    assert not isolated_dirs["config"].exists()


def test_a_failing_step_stops_the_demo_with_exit_1_and_says_which(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uku_xero_cli.cli import demo

    real = demo.demo_config

    def unregistered(port: int) -> SandboxConfig:
        # The emulator's apps know another redirect URI, so Xero refuses the sign-in.
        return real(port + 1 if port < 65535 else port - 1)

    monkeypatch.setattr(demo, "demo_config", unregistered)

    result = cli("demo")

    assert result.exit_code == 1
    assert "error: the demo stopped at `uku-xero auth --tenant 'Uku Demo Ltd'`" in result.stderr
    assert "$ uku-xero orgs" not in result.stdout
    assert not _workdir(result.stdout).exists()

    summary = cli("demo", "--json")

    assert summary.exit_code == 1
    document = summary.json()
    assert isinstance(document, dict)
    assert document["ok"] is False
    assert [s["command"] for s in document["steps"]] == [COMMANDS[0]]
    assert document["error"]["code"] == "demo_failed"
    assert "browser stand-in ended on HTTP 400" in document["error"]["message"]


def test_the_payment_command_the_demo_prints_works_when_copied(cli) -> None:  # type: ignore[no-untyped-def]
    """Support engineers copy the printed curl lines: they must carry what the admin API needs."""
    import re

    result = cli("demo")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("$ curl ")]
    assert lines, "the demo prints the curl command that records a payment"
    for line in lines:
        assert re.search(r"-H 'Content-Type: application/json'", line)


def test_the_demo_changes_no_process_global_while_it_runs(
    isolated_dirs: dict[str, Path], tmp_path: Path
) -> None:
    """Run in a thread while this one watches: os.environ, the working directory and auth's
    module globals stay exactly as they were the whole time, and `--json` is one document."""
    from uku_xero_cli.cli import auth_cmd

    def environ() -> dict[str, str]:
        # Typer itself sets PYDANTIC_DISABLE_PLUGINS for a moment while it builds a
        # parameter's validator (typer/_adapters.py, disabled_pydantic_plugins), in any
        # in-process run of any command: not the demo's doing, and not a setting of ours.
        return {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}

    environment, cwd, auth_globals = environ(), os.getcwd(), dict(vars(auth_cmd))
    own = Surroundings(os.environ, tmp_path, io.StringIO(""), io.StringIO(), io.StringIO())
    codes: list[int] = []
    demo = threading.Thread(target=lambda: codes.append(main(["demo", "--json"], own)))
    seen_changes = []
    demo.start()
    while demo.is_alive():
        now = (environ(), os.getcwd(), dict(vars(auth_cmd)))
        if now != (environment, cwd, auth_globals):
            seen_changes.append(now)
        demo.join(0.002)

    assert codes == [0], own.stdout.getvalue() + own.stderr.getvalue()
    assert seen_changes == []
    document = json.loads(own.stdout.getvalue())
    assert document["ok"] is True and len(document["steps"]) == 12
    assert own.stderr.getvalue() == ""
    # The steps ran in the demo's directory and config, not the process's.
    assert not isolated_dirs["config"].exists() and not isolated_dirs["data"].exists()
    assert list(tmp_path.iterdir()) == []


def _steps(transcript: str) -> list[str]:
    """The transcript cut at each numbered step heading: [preamble, step 1, step 2, ...]."""
    return re.split(r"\n(?=# \d+\. )", transcript)


@pytest.mark.parametrize("stderr", ["same pipe", "own pipe"], ids=["2>&1", "2>pipe"])
def test_piped_output_keeps_each_commands_messages_with_its_step(stderr: str) -> None:
    """As a real process writing into pipes: each command's stderr lines come after its own
    command line and before the next step's heading, whether stderr shares stdout's pipe or
    has its own (which then stays empty: the messages are part of the transcript)."""
    run = subprocess.run(
        [sys.executable, "-m", "uku_xero_cli", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if stderr == "same pipe" else subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-3000:] + (run.stderr or "")
    assert not run.stderr
    steps = _steps(run.stdout)
    assert len(steps) == 1 + 11
    for command, message in MESSAGES.items():
        (step,) = [s for s in steps if f"\n$ {command}\n" in s]
        assert step.index(f"$ {command}\n") < step.index(message), step
    for number, step in enumerate(steps[1:], start=1):
        assert step.startswith(f"# {number}. ")
