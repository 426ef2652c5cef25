"""Xero's official OpenAPI specs, vendored as JSON (see tools/vendor_spec.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "spec"
FILES = {"accounting": "xero_accounting.json", "identity": "xero_identity.json"}


@cache
def load(name: str) -> dict[str, Any]:
    """The spec `accounting` or `identity` as a dict (cached; do not mutate)."""
    data: dict[str, Any] = json.loads((SPEC_DIR / FILES[name]).read_text(encoding="utf-8"))
    return data
