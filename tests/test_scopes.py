"""What `auth` asks for: the narrowest scopes that let every command work, a preset for older
apps on the broad transactions scope, and the features `status` checks them against."""

from __future__ import annotations

import pytest

from uku_xero_cli.settings import DEFAULT_SCOPES, load_settings
from uku_xero_cli.xero.scopes import (
    BROAD,
    GRANULAR,
    effective_scopes,
    features,
    missing_scopes,
    requested_scopes,
)

# Who signed in (`status`, `auth`'s output): no feature needs them, auth asks for them.
IDENTITY = {"openid", "profile", "email"}


def test_the_default_scopes_let_every_feature_work() -> None:
    assert DEFAULT_SCOPES == GRANULAR
    assert all(not missing for _, missing in missing_scopes(GRANULAR.split()))


def test_each_default_scope_is_needed_by_some_feature() -> None:
    for scope in set(GRANULAR.split()) - IDENTITY:
        fewer = [s for s in GRANULAR.split() if s != scope]
        blocked = [f.name for f, missing in missing_scopes(fewer) if missing]
        assert blocked, f"{scope} is asked for but no feature needs it"


def test_nothing_asks_for_payments_or_to_write_settings() -> None:
    # check-paid reads the payments inside each invoice; nothing writes settings.
    needed = {scope for feature in features() for scope in feature.needs}
    assert not any(s.startswith("accounting.payments") for s in needed)
    assert "accounting.settings" not in needed
    assert not {"accounting.payments", "accounting.settings"} & set(GRANULAR.split())


def test_the_broad_preset_of_older_apps_lets_every_feature_work() -> None:
    assert "accounting.transactions" in BROAD.split()
    assert all(not missing for _, missing in missing_scopes(BROAD.split()))
    assert "accounting.invoices" in effective_scopes(BROAD.split())


def test_every_feature_names_the_commands_its_scopes_stop() -> None:
    blocks = {f.name: f.blocks for f in features()}
    assert blocks["push-invoice"] == ("push-invoice",)
    assert blocks["check-paid"] == ("check-paid",)
    assert "stats" in blocks["stats"] and blocks["stats"][0].startswith("reload --only ")
    assert "accounts" in blocks["reload products and taxes"]
    assert all(blocks.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("broad", tuple(BROAD.split())),
        ("BROAD", tuple(BROAD.split())),
        ("granular", tuple(GRANULAR.split())),
        ("offline_access  openid offline_access", ("offline_access", "openid")),
    ],
)
def test_a_preset_name_stands_for_its_scopes(text: str, expected: tuple[str, ...]) -> None:
    assert requested_scopes(text) == expected


def test_the_scopes_setting_takes_a_preset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UKU_XERO_SCOPES", "broad")
    assert load_settings().scopes == BROAD
