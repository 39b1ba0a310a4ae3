"""The embedded default: `finite serve` delivers webhooks with the worker inside the server."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from finite.app import create_app
from finite.config import Settings
from tests.factories import OrgSetup, bearer
from tests.webhook_receiver import running_receiver


async def test_a_change_is_delivered_by_the_worker_inside_the_server(
    settings: Settings, org: OrgSetup
) -> None:
    app = create_app(dataclasses.replace(settings, inline_worker=True))
    with running_receiver() as rx:
        async with AsyncTestClient(app) as client:
            headers = bearer(org.crm_key)
            created = await client.post("/api/webhooks", json={"url": rx.url}, headers=headers)
            assert created.status_code == 201, created.text
            lead = await client.post("/api/records/leads", json={"name": "Asha"}, headers=headers)
            assert lead.status_code == 201, lead.text
            (received,) = rx.wait_for(1, timeout=10)
            assert received.json()["record_id"] == lead.json()["id"]
            assert app.state.platform.worker is not None
