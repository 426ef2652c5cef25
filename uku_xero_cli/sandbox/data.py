"""Seeded, deterministic organisations and their accounting data. (Placeholder: see issue 2.)"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uku_xero_cli.sandbox.config import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
)
from uku_xero_cli.sandbox.state import AppClient, Organisation, User

if TYPE_CHECKING:
    from uku_xero_cli.sandbox.app import Sandbox


@dataclass
class OrgData:
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_world(sandbox: Sandbox) -> None:
    config = sandbox.config
    state = sandbox.state
    rng = random.Random(config.seed)
    names = [("Uku Demo Ltd", "GBP", "GB"), ("Uku Demo OÜ", "EUR", "EE")]
    for index in range(config.orgs):
        name, currency, country = names[index % len(names)]
        if index >= len(names):
            name = f"{name} {index + 1}"
        tenant_id = _uuid(rng)
        state.orgs[tenant_id] = Organisation(
            tenant_id=tenant_id,
            name=name,
            base_currency=currency,
            country_code=country,
            short_code=f"!{rng.randrange(16**5):05x}",
            data=OrgData(),
        )
    user = User(
        user_id=_uuid(rng),
        name="Sam Sandbox",
        given_name="Sam",
        family_name="Sandbox",
        email="sam@sandbox.uku.example",
        tenant_ids=list(state.orgs),
    )
    state.users[user.user_id] = user
    uris = set(config.redirect_uris)
    state.clients[PUBLIC_CLIENT_ID] = AppClient(PUBLIC_CLIENT_ID, None, uris)
    state.clients[CONFIDENTIAL_CLIENT_ID] = AppClient(
        CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, uris
    )
