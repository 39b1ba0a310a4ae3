"""A sent pack as a client receives it: the project, its credential, and the token read from
the mail the worker wrote (FINITE_SMTP_URL unset: a `.eml` file in the data folder)."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from finite.config import Settings
from finite.core.mail.worker import MailWorker
from finite.kit.db import Database
from finite.kit.mail.transports import FolderTransport
from finite.kit.secretbox import SecretBox
from finite.models import HandoverProject
from tests.factories import bearer
from tests.handover.factories import SEED_EXAMPLE

Client = AsyncTestClient[Litestar]
PASSWORD = "Hunter2-correct-horse"
TOKEN = re.compile(r"/p/(pk_[A-Za-z0-9_-]{43})")
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
BROWSER = {"User-Agent": "Mozilla/5.0 (client-page test)"}


@dataclass(frozen=True)
class Sent:
    project_id: str
    credential_id: str
    token: str

    @property
    def page(self) -> str:
        return f"/p/{self.token}"

    def reveal(self, credential_id: str | None = None) -> str:
        return f"{self.page}/credentials/{credential_id or self.credential_id}/reveal"


def mail_folder(settings: Settings) -> Path:
    return settings.data_dir / "mail"


async def latest_tokens(db: Database, settings: Settings, count: int) -> list[str]:
    """What the mail worker does after the commit, once; the links in the newest mails."""
    worker = MailWorker(
        db, SecretBox.from_secrets(settings.secret_key), FolderTransport(mail_folder(settings))
    )
    await worker.run_once()
    mails = sorted(mail_folder(settings).glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    tokens = []
    for path in mails[-count:]:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",))
        assert text is not None
        found = TOKEN.search(text.get_content())
        assert found is not None
        tokens.append(found.group(1))
    return tokens


async def latest_token(db: Database, settings: Settings) -> str:
    (token,) = await latest_tokens(db, settings, 1)
    return token


async def api(client: Client, key: str, method: str, path: str, body: Any = None) -> Any:
    answer = await client.request(method, f"/api/v1{path}", json=body, headers=bearer(key))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["data"]


async def sent_pack(
    client: Client,
    db: Database,
    settings: Settings,
    key: str,
    project: dict[str, Any] | None = None,
) -> Sent:
    """A project with a credential and a training link, its pack sent to the client."""
    made = await api(client, key, "POST", "/projects", project or SEED_EXAMPLE)
    project_id = made["id"]
    pack = f"/projects/{project_id}/pack"
    credential = await api(
        client,
        key,
        "POST",
        f"{pack}/credentials",
        {
            "platform": "WordPress admin",
            "url": "https://client.example/wp-admin",
            "username": "jane.admin",
            "password": PASSWORD,
            "notes": "Change it after the first login.",
        },
    )
    sections = (await api(client, key, "GET", pack))["sections"]
    section = (
        next(s for s in sections if s["kind"] == "training")
        if any(s["kind"] == "training" for s in sections)
        else sections[0]
    )
    await api(
        client,
        key,
        "POST",
        f"{pack}/items",
        {
            "sectionId": section["id"],
            "kind": "training",
            "title": "Editing pages (video)",
            "url": "https://videos.example/editing",
        },
    )
    await api(client, key, "POST", f"{pack}/send", {})
    return Sent(project_id, credential["id"], await latest_token(db, settings))


async def sign_off(db: Database, org_id: str, project_id: str) -> None:
    """The sign-off form is another piece of work: the project's status is what counts here."""
    async with db.transaction() as session:
        await session.execute(
            update(HandoverProject)
            .where(HandoverProject.org_id == org_id, HandoverProject.id == project_id)
            .values(status="signed_off")
        )
