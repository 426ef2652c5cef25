"""The switches for Xero behaviour that no source settles, read and changed live.

Each is a `SandboxConfig` field whose default is the harsher case (see the module each
names); `uku-xero sandbox` sets them at start and `PATCH /_sandbox/behaviour` while it runs.
"""

from __future__ import annotations

from typing import Any

from uku_xero_cli.sandbox.books.replay import MISMATCH_MODES
from uku_xero_cli.sandbox.config import SandboxConfig

# Field → the type it takes (a tuple lists the values a text field may have).
BEHAVIOUR_FIELDS: dict[str, type | tuple[str, ...]] = {
    "id_filters_carry_lines": bool,  # books/listing.py
    "max_query_length": int,  # gateway.py
    "idempotency_ttl": float,  # books/replay.py
    "idempotency_mismatch": MISMATCH_MODES,  # books/replay.py
    "revoke_ends_other_sign_ins": bool,  # grants.revoke_user
}


def behaviour_of(config: SandboxConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in BEHAVIOUR_FIELDS}


def _checked(name: str, value: Any) -> Any:
    kind = BEHAVIOUR_FIELDS[name]
    if isinstance(kind, tuple):
        if value not in kind:
            raise ValueError(f"{name} must be one of {', '.join(kind)}")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if kind is int and value != int(value):
        raise ValueError(f"{name} must be a whole number")
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return kind(value)


def change_behaviour(config: SandboxConfig, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply `changes` (names of BEHAVIOUR_FIELDS) after checking all of them."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in BEHAVIOUR_FIELDS:
            known = ", ".join(BEHAVIOUR_FIELDS)
            raise ValueError(f"unknown behaviour {name!r}; known: {known}")
        checked[name] = _checked(name, value)
    for name, value in checked.items():
        setattr(config, name, value)
    return behaviour_of(config)
