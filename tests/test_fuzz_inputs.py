"""Property-based tests over every input surface (issue 13): invoice files, the clients CSV,
company names, config.toml, environment variables and token files. For every generated input:
no traceback and no "unexpected" error; invalid input is exit 2 (a damaged token file 4) with
the offending field, setting or file named; no request reaches Xero and no file is created or
changed. Memory and time stay bounded on a fixed set of worst cases.

Budget: the hypothesis profile (tests/conftest.py; HYPOTHESIS_PROFILE=deep for a long run).
The CLI runs in-process (`main` with its own surroundings); a few worst cases go through a
real process too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.hostile import Ran, run, snapshot
from tests.invoice_helpers import COMPANY, invoice, point_at, ready
from uku_xero_cli.errors import InvalidCompanyName
from uku_xero_cli.sandbox.app import Sandbox
from uku_xero_cli.sandbox.server import RunningServer
from uku_xero_cli.settings import ENDPOINT_DEFAULTS, LIMIT_ENV, load_settings, validate_company
from uku_xero_cli.tokens import CompanyTokens

INVOICE_SUMMARY = "nothing was sent"


@dataclass
class World:
    """A connected company with imported reference data, the emulator it talks to (over
    loopback, so any request would show in its log), and the dirs to watch."""

    xero: Sandbox
    dirs: list[Path]
    inputs: Path  # where generated files go: outside the watched dirs

    def unchanged(self, act: Any) -> tuple[Ran, bool, bool]:
        """Run `act()`; whether the watched dirs and the emulator's log stayed the same."""
        before, requests = snapshot(*self.dirs), len(self.xero.log)
        ran = act()
        return ran, snapshot(*self.dirs) == before, len(self.xero.log) == requests


@pytest.fixture
def world(
    sandbox: Sandbox,
    sandbox_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    isolated_dirs: dict[str, Path],
    tmp_path: Path,
) -> World:
    point_at(sandbox_server, monkeypatch)
    ready(sandbox)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    return World(sandbox, [isolated_dirs["config"], isolated_dirs["data"]], inputs)


def assert_clean(ran: Ran) -> None:
    """No traceback, no "unexpected" error, and a known exit code."""
    everything = ran.stdout + ran.stderr
    assert "Traceback" not in everything and "unexpected error" not in everything, everything
    assert ran.code in (0, 2, 3, 4, 6), (ran.code, everything)


# -- JSON with any number, any text, any nesting, keys given twice ---------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text put in as it is: a number spelled any way JSON allows."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """A JSON object written from its pairs, so a key may come twice."""

    pairs: tuple[tuple[str, Any], ...]


def dump(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return dump(Pairs(tuple(value.items())))
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def json_number_texts() -> st.SearchStrategy[str]:
    """JSON numbers with any exponent and any number of digits."""
    digits = st.text("0123456789", min_size=1, max_size=60).map(lambda d: d.lstrip("0") or "0")
    fraction = st.none() | st.text("0123456789", min_size=1, max_size=60)
    exponent = st.none() | st.integers(-(10**12), 10**12)
    return st.builds(
        lambda sign, whole, frac, exp: (
            sign
            + whole
            + (f".{frac}" if frac is not None else "")
            + (f"e{exp:+d}" if exp is not None else "")
        ),
        st.sampled_from(["", "-"]),
        digits,
        fraction,
        exponent,
    )


HOSTILE_NUMBERS = ["1e-2000000", "1e-999999999", "1E+999999999", "-0", "-0.0", "0e-999999"]
numbers = (
    st.sampled_from(HOSTILE_NUMBERS).map(Raw)
    | json_number_texts().map(Raw)
    | json_number_texts()  # the same, as text
    | st.sampled_from(["NaN", "Infinity", "-Infinity", "1_000", "١٢", " 1 ", "0x10", ""])
)
texts = st.text(max_size=40) | st.text(max_size=4000).filter(lambda t: len(t) > 250)
leaves = st.none() | st.booleans() | numbers | texts
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(st.tuples(st.text(max_size=8), children), max_size=3).map(
            lambda pairs: Pairs(tuple(pairs))
        )
    ),
    max_leaves=8,
)
INVOICE_KEYS = [
    "number",
    "client",
    "issue_date",
    "due_date",
    "currency",
    "amounts_are",
    "reference",
    "lines",
]
LINE_KEYS = [
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "product_code",
    "tax_type",
    "account_code",
]
CLIENT_KEYS = ["id", "name", "email", "registration_number", "vat_number"]


@st.composite
def hostile_invoices(draw: st.DrawFn) -> str:
    """A valid invoice with 1-4 of its fields replaced by anything, given twice, or removed;
    sometimes nested in lists."""
    body: dict[str, Any] = invoice(f"UKU-FUZZ-{draw(st.integers(0, 10**6))}")
    body["lines"] = [dict(body["lines"][0]) for _ in range(draw(st.integers(1, 3)))]
    pairs: dict[int, list[tuple[str, Any]]] = {}
    client, lines = body["client"], list(body["lines"])
    keys_of = {id(body): INVOICE_KEYS, id(client): CLIENT_KEYS} | {id(x): LINE_KEYS for x in lines}
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from([body, client, *lines]))
        key = draw(st.sampled_from(keys_of[id(target)]))
        how = draw(st.sampled_from(["replace", "replace", "twice", "remove"]))
        if how == "remove":
            target.pop(key, None)
        elif how == "twice":
            pairs.setdefault(id(target), []).append((key, draw(values)))
        else:
            target[key] = draw(values)

    def with_pairs(obj: dict[str, Any]) -> Pairs:
        items = [(k, with_pairs(v) if isinstance(v, dict) else v) for k, v in obj.items()]
        if "lines" in obj and isinstance(obj["lines"], list):
            items = [
                (k, [with_pairs(x) if isinstance(x, dict) else x for x in v] if k == "lines" else v)
                for k, v in items
            ]
        return Pairs(tuple(items + pairs.get(id(obj), [])))

    document: Any = with_pairs(body)
    for _ in range(draw(st.integers(0, 2))):
        document = [document]
    return dump(document)


def file_problems(ran: Ran, path: Path) -> list[str]:
    """The `  FILE: where: what` lines under the error line."""
    return [line.strip() for line in ran.stderr.splitlines() if line.startswith("  ")]


@given(text=hostile_invoices())
@example(text=dump(invoice(lines=[{**invoice()["lines"][0], "quantity": Raw("1e-999999999")}])))
@example(text=dump(invoice(lines=[{**invoice()["lines"][0], "unit_price": Raw("1E+999999999")}])))
@example(text=dump(Pairs((("number", "A"), ("number", "B")))))
def test_any_invoice_file_is_pushed_or_refused_by_field_with_nothing_sent_or_written(
    world: World, text: str
) -> None:
    path = world.inputs / "inv.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    ran, unchanged, no_requests = world.unchanged(
        lambda: run("push-invoice", "-c", COMPANY, str(path))
    )
    assert_clean(ran)
    if ran.code == 2 and INVOICE_SUMMARY in ran.stderr:
        assert unchanged and no_requests
        problems = file_problems(ran, path)
        assert problems, ran.stderr
        # Each problem names the file, and a field path or the file's own trouble.
        assert all(p.startswith(f"{path}: ") for p in problems), problems


# -- the clients CSV -------------------------------------------------------------------------

HEADER = "id,name,email,registration_number,vat_number"
cells = st.text(max_size=12) | st.sampled_from(["\x00", "a\x00b", '"', '""', "\r\n", "é", "\ufeff"])
rows = st.lists(st.lists(cells, min_size=0, max_size=7).map(",".join), max_size=5)


@given(
    header=st.sampled_from([HEADER, HEADER.upper(), "id,name", HEADER + ",extra", ""]), body=rows
)
def test_any_clients_csv_is_imported_or_refused_by_line_with_nothing_written(
    world: World, header: str, body: list[str]
) -> None:
    path = world.inputs / "clients.csv"
    path.write_text("\n".join([header, *body]) + "\n", encoding="utf-8", errors="surrogatepass")
    ran, unchanged, no_requests = world.unchanged(
        lambda: run("clients", "import", "-c", COMPANY, str(path))
    )
    assert_clean(ran)
    assert no_requests
    if ran.code == 2:
        assert unchanged
        assert f"error: {path}" in ran.stderr
    if any("\x00" in row for row in body):
        assert ran.code == 2  # for the NUL, or for what else is wrong with its row


# -- company names, settings, environment, token files ---------------------------------------


@given(name=st.text(max_size=70) | st.sampled_from(["acme\n", "acme ", ".acme", "a..b", "ACME"]))
def test_any_company_name_is_used_whole_or_refused_naming_the_option(
    world: World, name: str
) -> None:
    ran, unchanged, no_requests = world.unchanged(lambda: run("status", "--offline", "-c", name))
    assert_clean(ran)
    assert unchanged and no_requests
    try:
        validate_company(name)
    except InvalidCompanyName:
        assert ran.code == 2 and ran.error_lines and "--company" in ran.error_lines[0]
    else:
        assert ran.code in (0, 3)  # the connected company, or "no company '...'"


SETTINGS_ENV = [
    "XERO_CLIENT_ID",
    "XERO_CLIENT_SECRET",
    "UKU_XERO_COMPANY",
    "UKU_XERO_REDIRECT_PORT",
    "UKU_XERO_SCOPES",
    *(f"UKU_XERO_{key.upper()}" for key in ENDPOINT_DEFAULTS),
    *LIMIT_ENV.values(),
]
# A real environment holds no NUL; anything else goes.
env_values = st.text(st.characters(blacklist_characters="\x00"), max_size=40) | st.sampled_from(
    ["9" * 30, "-1", "0", "8763.7", "http://[::1/x", "javascript:alert(1)", "https://", "é"]
)


@given(env=st.dictionaries(st.sampled_from(SETTINGS_ENV), env_values, min_size=1, max_size=3))
def test_any_environment_value_is_used_or_refused_naming_the_variable(
    world: World, env: dict[str, str]
) -> None:
    ran, unchanged, no_requests = world.unchanged(
        lambda: run("status", "--offline", "-c", COMPANY, env=env)
    )
    assert_clean(ran)
    assert unchanged and no_requests
    if ran.code == 2:
        [line] = ran.error_lines
        assert any(name in line for name in env) or "--company" in line, line


dir_values = st.sampled_from(["/dev/null", "/dev/zero", "/dev/null/below", "/proc/self/status"])


@given(name=st.sampled_from(["UKU_XERO_CONFIG_DIR", "UKU_XERO_DATA_DIR"]), value=dir_values)
def test_a_directory_setting_that_is_not_a_usable_directory_is_exit_2(
    world: World, name: str, value: str
) -> None:
    ran, unchanged, _ = world.unchanged(lambda: run("status", "--offline", env={name: value}))
    assert_clean(ran)
    assert ran.code == 2 and unchanged
    assert ran.error_lines[0].startswith(f"error: {name}: {value}")


toml_values = (
    st.integers()
    | st.floats()
    | st.booleans()
    | st.text(max_size=30)
    | st.lists(st.integers() | st.text(max_size=5), max_size=3)
    | st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=2)
)
TOP_KEYS = [
    "client_id",
    "client_secret",
    "redirect_port",
    "scopes",
    "default_company",
    "endpoints",
    "limits",
]


def _toml(document: dict[str, Any]) -> bytes:
    """The document as TOML bytes; a document TOML cannot hold is no example."""
    import tomli_w

    try:
        return tomli_w.dumps(document).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError):
        assume(False)
        raise


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80))
    document: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(TOP_KEYS), min_size=1, max_size=3, unique=True)):
        if key == "endpoints":
            document[key] = {
                k: draw(toml_values)
                for k in draw(st.sets(st.sampled_from(sorted(ENDPOINT_DEFAULTS)), max_size=2))
            }
        elif key == "limits":
            document[key] = {
                k: draw(toml_values)
                for k in draw(st.sets(st.sampled_from(sorted(LIMIT_ENV)), max_size=2))
            }
        else:
            document[key] = draw(toml_values)
    return _toml(document)


@given(data=config_files())
def test_any_config_toml_is_used_or_refused_naming_the_file_and_key(
    world: World, data: bytes
) -> None:
    config = world.dirs[0] / "config.toml"
    config.write_bytes(data)
    try:
        ran, unchanged, no_requests = world.unchanged(
            lambda: run("status", "--offline", "-c", COMPANY)
        )
    finally:
        config.unlink()
    assert_clean(ran)
    assert unchanged and no_requests
    if ran.code == 2:
        [line] = ran.error_lines
        assert str(config) in line, line


@st.composite
def token_files(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=120))
    record = CompanyTokens(company=COMPANY, tenant_id="t-1", refresh_token="r", access_token="a")
    document = record.to_toml()
    for _ in range(draw(st.integers(1, 3))):
        table = draw(st.sampled_from(["tenant", "token", "user", "state"]))
        key = draw(
            st.sampled_from(
                [
                    "id",
                    "refresh_token",
                    "expires_at",
                    "scopes",
                    "needs_reauth",
                    "name",
                    "connected_at",
                ]
            )
        )
        value = draw(toml_values | st.datetimes())
        if draw(st.booleans()):
            if not isinstance(document.get(table), dict):
                document[table] = {}
            document[table][key] = value
        else:
            document[table] = value
    return _toml(document)


@given(data=token_files())
def test_any_token_file_is_read_or_reported_damaged_naming_it(world: World, data: bytes) -> None:
    path = load_settings().token_file(COMPANY)
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        ran, unchanged, no_requests = world.unchanged(
            lambda: run("status", "--offline", "-c", COMPANY)
        )
    finally:
        path.write_bytes(original)
    assert_clean(ran)
    assert unchanged and no_requests
    assert ran.code in (0, 3, 4)
    if "damaged" in ran.stderr:
        assert ran.code == 4 and str(path) in ran.error_lines[0]
    assert "None" not in ran.stderr


# -- memory and time on the worst cases -----------------------------------------------------


def _small(field: str, number: str) -> str:
    """A short invoice (about 500 bytes) with one number replaced."""
    body = invoice("W-1", client={"id": "C-1", "name": "Worst Case Ltd"}, reference=None)
    body["lines"] = [{**body["lines"][0], field: Raw(number)}]
    return dump(body)


WORST = {
    f"{field}={number[:12]}": _small(field, number)
    for field in ("quantity", "unit_price", "discount_percent")
    for number in ("1e-999999999", "1E+999999999", "9" * 200)
}
WORST["deep nesting"] = "[" * 250 + "]" * 250
WORST["duplicate keys"] = "{" + ",".join(['"number":"X"'] * 60) + "}"


@pytest.mark.parametrize("text", list(WORST.values()), ids=list(WORST))
def test_a_500_byte_input_costs_a_few_mb_at_most(world: World, text: str) -> None:
    assert len(text.encode()) < 1000
    path = world.inputs / "worst.json"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    cpu = time.process_time()
    try:
        ran, unchanged, no_requests = world.unchanged(
            lambda: run("push-invoice", "--dry-run", "-c", COMPANY, str(path))
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    spent = time.process_time() - cpu
    assert ran.code == 2 and unchanged and no_requests, ran.stderr
    # Correctness guards, generous on purpose (the unbounded case took 1.5 GB and 12 s).
    assert peak < 50 * 1024 * 1024, peak
    assert spent < 10, spent


# Runs uku-xero and writes its own peak RSS (VmHWM, KiB) to argv[1] as it exits. Measured in
# the child: wait4's and RUSAGE_CHILDREN's figures also count what the parent (this test
# run) held when it forked.
_MEASURED = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(out, "w") as fh:
        fh.write(peak)
atexit.register(report)
sys.argv[0] = "uku-xero"
runpy.run_module("uku_xero_cli", run_name="__main__")
"""


@pytest.mark.parametrize("number", ["1e-999999999", "1E+999999999"])
def test_in_a_real_process_the_worst_numbers_are_refused_with_flat_memory(
    world: World, number: str
) -> None:
    path = world.inputs / "worst.json"
    path.write_text(_small("quantity", number), encoding="utf-8")
    before = snapshot(*world.dirs)
    peak_file = world.inputs / "peak"
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(peak_file), "push-invoice", "-c", COMPANY, str(path)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    code, stderr, peak_kb = done.returncode, done.stderr, int(peak_file.read_text())
    assert code == 2, stderr
    assert f"lines[0].quantity: {number} is out of range" in stderr
    assert len(world.xero.log) == 0 and snapshot(*world.dirs) == before
    # The child's own peak (the emulator runs in this process, not the child); about 50 MiB.
    assert peak_kb < 300 * 1024
