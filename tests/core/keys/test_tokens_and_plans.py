"""Key format and checksum; plan entitlements (pure functions, no database)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finite.core.keys import tokens
from finite.core.plans.catalog import Product
from finite.core.plans.entitlement import entitlement_for
from finite.kit.derived_keys import Peppers, hmac_sha256_hex

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(("product", "prefix"), [("crm", "fsk_"), ("handover", "fz_live_")])
def test_generated_keys_have_prefix_body_and_valid_checksum(product: Product, prefix: str) -> None:
    key = tokens.generate(product)
    assert re.fullmatch(re.escape(prefix) + r"[0-9A-Za-z]{49}", key)
    assert tokens.product_of(key) == product
    assert len({tokens.generate(product) for _ in range(200)}) == 200


@given(position=st.integers(min_value=0), replacement=st.sampled_from("0aZ9bQ"))
def test_any_single_character_change_fails_the_checksum(position: int, replacement: str) -> None:
    key = tokens.generate("crm")
    index = 4 + position % (len(key) - 4)
    if key[index] == replacement:
        return
    changed = key[:index] + replacement + key[index + 1 :]
    assert tokens.product_of(changed) is None


@given(st.text(max_size=80))
def test_arbitrary_text_is_never_a_key(text: str) -> None:
    assert tokens.product_of(text) is None


def test_pepper_versions_differ_per_secret_and_hashes_are_stable() -> None:
    one = Peppers.from_secrets("a" * 40)
    two = Peppers.from_secrets("b" * 40, ("a" * 40,))
    assert one.current.key_id != two.current.key_id
    assert two.previous[0].key_id == one.current.key_id
    assert hmac_sha256_hex(one.current, "fsk_x") == hmac_sha256_hex(two.previous[0], "fsk_x")
    assert len(hmac_sha256_hex(one.current, "fsk_x")) == 64


@pytest.mark.parametrize(
    ("plan", "rpm", "webhooks"),
    [
        ("free", 60, 1),
        ("standard", 120, 3),
        ("professional", 240, 10),
        ("enterprise", 480, 25),
        ("crm_plus", 600, 30),
        ("ultimate", 960, 50),
    ],
)
def test_crm_plan_table_matches_the_api_documentation(plan: str, rpm: int, webhooks: int) -> None:
    found = entitlement_for("crm", plan, "active", None, None, None, NOW)
    assert (found.requests_per_minute, found.webhook_endpoints) == (rpm, webhooks)


def test_crm_trials_get_enterprise_limits_until_they_lapse_to_free() -> None:
    active = entitlement_for("crm", "standard", "trial", NOW + timedelta(days=1), None, None, NOW)
    assert (active.effective_plan, active.requests_per_minute, active.status) == (
        "enterprise",
        480,
        "trial",
    )
    lapsed = entitlement_for(
        "crm", "ultimate", "trial", NOW - timedelta(seconds=1), None, None, NOW
    )
    assert (lapsed.effective_plan, lapsed.requests_per_minute, lapsed.status) == (
        "free",
        60,
        "expired",
    )
    expired = entitlement_for("crm", "ultimate", "expired", None, None, None, NOW)
    assert expired.requests_per_minute == 60


def test_overrides_replace_plan_numbers() -> None:
    found = entitlement_for("crm", "free", "active", None, 5000, 7, NOW)
    assert (found.requests_per_minute, found.webhook_endpoints) == (5000, 7)


def test_handover_plans() -> None:
    free = entitlement_for("handover", "free", "active", None, None, None, NOW)
    assert (free.api_access, free.active_packs) == ("none", 3)
    pro = entitlement_for("handover", "pro", "active", None, None, None, NOW)
    assert (pro.api_access, pro.active_packs) == ("zapier", None)
    agency = entitlement_for("handover", "agency", "active", None, None, None, NOW)
    assert agency.api_access == "full"
    lapsed = entitlement_for("handover", "agency", "expired", None, None, None, NOW)
    assert lapsed.api_access == "none"
    suspended = entitlement_for("handover", "agency", "suspended", None, None, None, NOW)
    assert suspended.suspended
