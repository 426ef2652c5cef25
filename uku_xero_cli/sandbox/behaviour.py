"""The switches for Xero behaviour that no source settles, read and changed live.

Each is a `SandboxConfig` field whose default is the harsher case (see the module each
names); `uku-xero sandbox` sets them at start and `PATCH /_sandbox/behaviour` while it runs.
"""

from __future__ import annotations

from typing import Any

from uku_xero_cli.sandbox.books.replay import MISMATCH_MODES
from uku_xero_cli.sandbox.config import SandboxConfig, SettingKind, change_settings, settings_of

BEHAVIOUR_FIELDS: dict[str, SettingKind] = {
    "id_filters_carry_lines": bool,  # books/listing.py
    "max_query_length": int,  # gateway.py
    "idempotency_ttl": float,  # books/replay.py
    "idempotency_mismatch": MISMATCH_MODES,  # books/replay.py
    "revoke_ends_other_sign_ins": bool,  # grants.revoke_user
}


def behaviour_of(config: SandboxConfig) -> dict[str, Any]:
    return settings_of(config, BEHAVIOUR_FIELDS)


def change_behaviour(config: SandboxConfig, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply `changes` (names of BEHAVIOUR_FIELDS) after checking all of them."""
    return change_settings(config, BEHAVIOUR_FIELDS, "behaviour", changes)
