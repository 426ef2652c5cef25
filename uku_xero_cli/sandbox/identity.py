"""(Placeholder: see issue 2.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox


def register(sandbox: Sandbox) -> None:
    """Add this module's routes to `sandbox.router`."""
