"""After the adversarial suites (this file runs last in the folder; alone, it still does its
own part): keys of both APIs created, used, revoked and refused, webhook secrets made and
rotated, credential passwords set three ways — then no full key, secret or password, nor the
random part of one, is in a dump of the database or in any log line written since the first
adversarial test, nor in an answer of the audit API."""

from __future__ import annotations

from litestar import Litestar

from finite.kit.db import Database
from tests.adversarial.ledger import Ledger
from tests.adversarial.world import Client, World, ok
from tests.database_dump import dump_database

PASSWORDS = ("Sweep-pass-1-Plain!", "Sweep-pass-2-Plain!", "Sweep-pass-3-Plain!")


async def exercise(client: Client, world: World, ledger: Ledger) -> None:
    a = world.a
    crm_key = (
        await ok(await client.post("/api/keys", json={"name": "sweep"}, headers=a.crm), 201)
    )["key"]
    handover_key = (
        await ok(await client.post("/api/v1/keys", json={"name": "sweep"}, headers=a.handover), 201)
    )["data"]
    ledger.add(crm_key, handover_key["key"])
    await ok(await client.get("/api/me", headers={"Authorization": f"Bearer {crm_key}"}))
    await ok(await client.delete(f"/api/v1/keys/{handover_key['id']}", headers=a.handover))
    revoked = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {handover_key['key']}"}
    )
    assert revoked.status_code == 401
    webhook = await ok(
        await client.post("/api/webhooks", json={"url": "http://127.0.0.1:9/sweep"}, headers=a.crm),
        201,
    )
    rotated = await ok(
        await client.post(f"/api/webhooks/{webhook['id']}/rotate-secret", headers=a.crm)
    )
    ledger.add(webhook["secret"], rotated["secret"])
    refused = await client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/sweep", "secret": rotated["secret"]},
        headers=a.crm,
    )
    assert refused.status_code == 400
    assert rotated["secret"] not in refused.text

    ledger.add(*PASSWORDS)
    pack = f"/api/v1/projects/{a.ids['project_id']}/pack"
    made = await ok(
        await client.post(
            f"{pack}/credentials",
            json={"platform": "Sweep", "password": PASSWORDS[0]},
            headers=a.handover,
        ),
        201,
    )
    await ok(
        await client.patch(
            f"{pack}/credentials/{made['data']['id']}",
            json={"password": PASSWORDS[1]},
            headers=a.handover,
        )
    )
    current = (await ok(await client.get(pack, headers=a.handover)))["data"]
    credentials = [{"id": c["id"], "platform": c["platform"]} for c in current["credentials"]] + [
        {"platform": "Sweep PUT", "password": PASSWORDS[2]}
    ]
    await ok(
        await client.put(
            pack,
            json={
                "scopeSummary": current["scopeSummary"],
                "sections": [],
                "credentials": credentials,
                "supportBoundary": current["supportBoundary"],
            },
            headers=a.handover,
        )
    )
    for answer in (
        await client.get(pack, headers=a.handover),
        await client.get("/api/audit", headers=a.crm),
        await client.get("/api/audit.csv", headers=a.crm),
    ):
        assert answer.status_code == 200, answer.text
        assert [s for s in ledger.secrets if s in answer.text] == []


async def test_no_secret_is_in_the_database_or_the_logs(
    app: Litestar, client: Client, db: Database, database_url: str, world: World, ledger: Ledger
) -> None:
    await exercise(client, world, ledger)
    assert client.blocking_portal.call(app.state.platform.audit.flush)  # every audit row in
    dump = await dump_database(db, database_url)
    logs = "\n".join(ledger.lines).encode()
    needles = ledger.needles()
    assert len(ledger.secrets) >= 10
    assert len(logs) > 0
    in_dump = sorted({secret for needle, secret in needles.items() if needle in dump})
    in_logs = sorted({secret for needle, secret in needles.items() if needle in logs})
    assert in_dump == [], "secrets in the database dump"
    assert in_logs == [], "secrets in the logs"
