"""The built-in Xero emulator (`uku-xero sandbox`): identity, connections and accounting."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox


def environment(base_url: str, client_id: str) -> dict[str, str]:
    """The variables that point uku-xero at an emulator served at `base_url`."""
    return {
        "XERO_CLIENT_ID": client_id,
        "UKU_XERO_AUTHORIZE_URL": f"{base_url}/identity/connect/authorize",
        "UKU_XERO_TOKEN_URL": f"{base_url}/connect/token",
        "UKU_XERO_REVOKE_URL": f"{base_url}/connect/revocation",
        "UKU_XERO_CONNECTIONS_URL": f"{base_url}/connections",
        "UKU_XERO_API_URL": f"{base_url}/api.xro/2.0",
    }


__all__ = ["Sandbox", "environment"]
