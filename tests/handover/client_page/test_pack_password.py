"""The optional pack password (PATCH /api/v1/projects/:id/pack/access): stored as argon2id, the
page shows only its form until it is entered, tries are rate-limited per link, and a signed
cookie for that one link lets the browser in. And credentials kept until sign-off."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from finite.config import Settings
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.models import HandoverPack
from tests.database_dump import dump_database
from tests.factories import OrgSetup, bearer, make_handover_key
from tests.handover.client_page.helpers import (
    PASSWORD,
    SAME_ORIGIN,
    Client,
    Sent,
    api,
    latest_tokens,
    sent_pack,
    sign_off,
)

pytestmark = pytest.mark.usefixtures("quiet_mail")

PACK_PASSWORD = "open sesame 42"
FORM = {**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}


async def protect(client: Client, key: str, sent: Sent, **body: object) -> dict[str, object]:
    result: dict[str, object] = await api(
        client, key, "PATCH", f"/projects/{sent.project_id}/pack/access", body
    )
    return result


async def enter(client: Client, sent: Sent, password: str) -> httpx.Response:
    return await client.post(
        sent.page, content=f"password={password}".encode(), headers=FORM, follow_redirects=False
    )


async def test_the_page_asks_for_the_pack_password_first(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    shown = await protect(client, org.handover_key, sent, password=PACK_PASSWORD)
    assert shown == {"hasPassword": True, "credentialsAfterSignOff": False}
    pack = await api(client, org.handover_key, "GET", f"/projects/{sent.project_id}/pack")
    assert pack["access"] == shown
    assert PACK_PASSWORD not in str(pack)

    form = await client.get(sent.page)
    assert form.status_code == 200
    assert 'name="password"' in form.text
    assert "WordPress admin" not in form.text
    refused = await client.post(sent.reveal(), headers=SAME_ORIGIN)
    assert refused.status_code == 401
    assert PASSWORD not in refused.text

    wrong = await enter(client, sent, "not it")
    assert wrong.status_code == 401
    assert "not right" in wrong.text
    assert "set-cookie" not in wrong.headers

    right = await enter(client, sent, PACK_PASSWORD.replace(" ", "+"))
    assert right.status_code == 303
    assert right.headers["location"] == sent.page
    cookie = right.headers["set-cookie"]
    assert f"Path={sent.page}" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here; Secure when the page is https

    page = await client.get(sent.page)
    assert "WordPress admin" in page.text
    revealed = await client.post(sent.reveal(), headers=SAME_ORIGIN)
    assert revealed.json() == {"password": PASSWORD}

    async with db.read() as session:
        stored = await session.scalar(
            select(HandoverPack.password_hash).where(HandoverPack.org_id == org.org_id)
        )
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PACK_PASSWORD.encode() not in await dump_database(db, settings.database_url)


async def test_one_links_cookie_opens_no_other_and_a_new_password_shuts_it_out(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    await protect(client, org.handover_key, sent, password=PACK_PASSWORD)
    # Two recipients: two links to the same pack, behind the same password (the same hash).
    recipients = ["ops@client.example", "owner@client.example"]
    await api(
        client,
        org.handover_key,
        "POST",
        f"/projects/{sent.project_id}/pack/send",
        {"recipients": recipients},
    )
    first, second = (
        Sent(sent.project_id, sent.credential_id, token)
        for token in await latest_tokens(db, settings, 2)
    )
    entered = await enter(client, first, PACK_PASSWORD)
    value = entered.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.clear()
    cookie = {"Cookie": f"finite_pack={value}"}

    assert "WordPress admin" in (await client.get(first.page, headers=cookie)).text
    other = await client.get(second.page, headers=cookie)
    assert 'name="password"' in other.text
    assert "WordPress admin" not in other.text
    assert (
        await client.post(second.reveal(), headers={**SAME_ORIGIN, **cookie})
    ).status_code == 401
    forged = {"Cookie": f"finite_pack={value[:-4]}beef"}
    assert 'name="password"' in (await client.get(first.page, headers=forged)).text

    await protect(client, org.handover_key, first, password="another password")
    assert 'name="password"' in (await client.get(first.page, headers=cookie)).text
    await protect(client, org.handover_key, first, password=None)
    assert "WordPress admin" in (await client.get(first.page)).text


async def test_password_tries_are_rate_limited_per_link(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    await protect(client, org.handover_key, sent, password=PACK_PASSWORD)
    for _ in range(5):
        assert (await enter(client, sent, "guess")).status_code == 401
    limited = await enter(client, sent, PACK_PASSWORD)  # even the right one, now
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Too many tries" in limited.text
    assert "set-cookie" not in limited.headers


async def test_a_password_form_from_another_site_is_refused(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    await protect(client, org.handover_key, sent, password=PACK_PASSWORD)
    answer = await client.post(
        sent.page,
        content=f"password={PACK_PASSWORD}".encode(),
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


async def test_credentials_can_wait_for_the_sign_off(
    client: Client, org: OrgSetup, db: Database, settings: Settings
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    shown = await protect(client, org.handover_key, sent, credentialsAfterSignOff=True)
    assert shown == {"hasPassword": False, "credentialsAfterSignOff": True}

    page = await client.get(sent.page)
    assert "Credentials are available after sign-off." in page.text
    assert "jane.admin" not in page.text
    assert "data-reveal" not in page.text
    locked = await client.post(sent.reveal(), headers=SAME_ORIGIN)
    assert locked.status_code == 403
    assert PASSWORD not in locked.text

    await sign_off(db, org.org_id, sent.project_id)
    assert "jane.admin" in (await client.get(sent.page)).text
    assert (await client.post(sent.reveal(), headers=SAME_ORIGIN)).json() == {"password": PASSWORD}


async def test_only_a_write_key_sets_the_options_and_bad_values_are_refused(
    client: Client, org: OrgSetup, db: Database, settings: Settings, peppers: Peppers
) -> None:
    sent = await sent_pack(client, db, settings, org.handover_key)
    path = f"/api/v1/projects/{sent.project_id}/pack/access"
    read_key = await make_handover_key(db, peppers, org.org_id, ("read",))
    refused = await client.patch(path, json={"password": PACK_PASSWORD}, headers=bearer(read_key))
    assert refused.status_code == 403
    for body in ({"password": "abc"}, {"password": 5}, {"packPassword": "x" * 10}, {"x": 1}):
        bad = await client.patch(path, json=body, headers=bearer(org.handover_key))
        assert bad.status_code == 400, body
    unknown = await client.patch(
        "/api/v1/projects/project_unknown/pack/access",
        json={"password": PACK_PASSWORD},
        headers=bearer(org.handover_key),
    )
    assert unknown.status_code == 404
    assert 'name="password"' not in (await client.get(sent.page)).text
