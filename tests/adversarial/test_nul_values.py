"""A NUL character in any text a write takes (PostgreSQL refuses NUL in text: a 500 unless the
value is refused first) — and in a JSON object's key: 400 naming the field, never a 5xx, on
both engines."""

from __future__ import annotations

from typing import Any

from tests.adversarial.test_mass_assignment import writes
from tests.adversarial.world import Client, World


def with_nul(value: Any) -> list[Any]:
    """Variants of a JSON value with one string (or object key) holding a NUL."""
    if isinstance(value, str):
        return [value[:1] + "\x00" + value[1:]]
    if isinstance(value, list):
        return [
            [*value[:index], variant, *value[index + 1 :]]
            for index, item in enumerate(value)
            for variant in with_nul(item)
        ]
    if isinstance(value, dict):
        variants: list[Any] = [{**value, "x\x00": 1}]
        for key, item in value.items():
            variants += [{**value, key: variant} for variant in with_nul(item)]
        return variants
    return []


async def test_a_nul_in_any_text_of_any_write_is_refused(client: Client, world: World) -> None:
    a = world.a
    tried = 0
    picklist = {"key": "cf_pick", "label": "Pick", "type": "picklist", "options": ["A", "B"]}
    extra = [("POST /api/modules/{module:str}/fields", "/api/modules/leads/fields", picklist)]
    for route, path, body in extra + [(w.route, w.path, w.body) for w in writes(a.ids)]:
        headers = a.handover if path.startswith("/api/v1/") else a.crm
        for variant in with_nul(body):
            response = await client.request(route.split()[0], path, json=variant, headers=headers)
            assert response.status_code == 400, (route, variant, response.text[:300])
            tried += 1
    assert tried >= 40
