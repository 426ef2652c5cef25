"""Shell completion scripts in completions/ are generated from the Typer app and kept fresh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from uku_xero_cli.cli.completion_scripts import render_all

COMPLETIONS = Path(__file__).parent.parent / "completions"


def test_completion_scripts_are_up_to_date() -> None:
    for name, text in render_all().items():
        path = COMPLETIONS / name
        assert path.exists(), f"{path} missing: run python -m uku_xero_cli.cli.completion_scripts"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python -m uku_xero_cli.cli.completion_scripts"
        )


def _bash_complete(*words: str) -> list[str]:
    script = COMPLETIONS / "uku-xero.bash"
    line = " ".join(f"'{w}'" for w in words)
    program = (
        f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; "
        '_uku_xero; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_and_their_options() -> None:
    assert "sandbox" in _bash_complete("uku-xero", "sa")
    assert "--strict" in _bash_complete("uku-xero", "sandbox", "--st")
    assert _bash_complete("uku-xero", "sandbox", "--port", "1", "--se") == ["--seed", "--secret"]


@pytest.mark.parametrize(
    ("shell", "name"), [("bash", "uku-xero.bash"), ("zsh", "_uku-xero"), ("fish", "uku-xero.fish")]
)
def test_each_script_is_valid_syntax_for_its_shell(shell: str, name: str) -> None:
    program = shutil.which(shell)
    if program is None:
        pytest.skip(f"{shell} is not installed")
    # -n parses the script without running it; a syntax error exits non-zero.
    done = subprocess.run(
        [program, "-n", str(COMPLETIONS / name)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_scripts_name_every_command() -> None:
    from uku_xero_cli.cli.completion_scripts import command_tree

    names = {child.path[-1] for child in command_tree().children}
    scripts = render_all()
    for name in names:
        for text in scripts.values():
            assert name in text
