"""Behind https (FINITE_PUBLIC_URL), the pack password's cookie is marked Secure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from finite.config import Settings
from finite.kit.db import Database
from tests.factories import OrgSetup
from tests.handover.client_page.helpers import SAME_ORIGIN, Client, api, sent_pack

pytestmark = pytest.mark.usefixtures("quiet_mail")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, public_url="https://handover.agency.example")


async def test_the_cookie_is_secure_when_the_page_is_served_over_https(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    await api(
        client,
        org.handover_key,
        "PATCH",
        f"/projects/{sent.project_id}/pack/access",
        {"password": "blue fox 7"},
    )
    entered = await client.post(
        sent.page,
        content=b"password=blue+fox+7",
        headers={**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert entered.status_code == 303
    assert "secure" in [part.strip().lower() for part in entered.headers["set-cookie"].split(";")]
    # A browser sending only Origin: the public address's origin is the page's own.
    refused = await client.post(sent.reveal(), headers={"Origin": "https://other.example"})
    assert refused.status_code == 403
