"""The embedded default's first start: a demo organization with one key per product, and a
generated console password for its owner."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from finite.core.accounts import repository
from finite.core.accounts.passwords import generate_password, set_password
from finite.core.accounts.service import PlanChoice, create_org
from finite.core.keys.service import create_key
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.private_files import create_private, private_folder

DEMO_ORG_NAME = "Demo Organization"
DEMO_OWNER_EMAIL = "admin@demo.example"
KEYS_FILE_NAME = "first-run-keys.txt"


@dataclass(frozen=True, slots=True)
class DemoAccess:
    org_id: str
    owner_email: str
    crm_key: str
    handover_key: str
    owner_password: str  # the console's (/console/login), shown once like the keys


async def create_demo_if_empty(
    db: Database, peppers: Peppers, hand_over: Callable[[DemoAccess], None] | None = None
) -> DemoAccess | None:
    """Only on a database without organizations; the keys and the owner's password are returned
    once and never stored (only their hashes are).

    `hand_over` gets the keys before the organization is committed: if it fails (the keys file
    cannot be written), nothing is created and the next start tries again."""
    async with db.transaction() as session:
        if await repository.count_orgs(session) > 0:
            return None
        org, owner = await create_org(
            session,
            DEMO_ORG_NAME,
            owner_email=DEMO_OWNER_EMAIL,
            owner_name="Demo Admin",
            crm=PlanChoice("enterprise", "trial"),
            handover=PlanChoice("agency", "active"),
        )
        crm = await create_key(
            session, peppers, org_id=org.id, product="crm", name="Demo CRM key", member_id=owner.id
        )
        handover = await create_key(
            session,
            peppers,
            org_id=org.id,
            product="handover",
            name="Demo handover key",
            member_id=None,
            scopes=("read", "write", "admin"),
        )
        password = generate_password()
        await set_password(session, org.id, owner.id, password, utcnow())
        access = DemoAccess(org.id, owner.email, crm.token, handover.token, password)
        if hand_over is not None:
            hand_over(access)
    return access


def write_keys_file(data_dir: Path, text: str) -> Path:
    """A new file of mode 0600 in the (0700) data folder: `first-run-keys.txt`, or
    `first-run-keys-2.txt`… when an earlier one is still there (never overwritten)."""
    private_folder(data_dir)
    number = 1
    while True:
        name = KEYS_FILE_NAME if number == 1 else KEYS_FILE_NAME.replace(".", f"-{number}.", 1)
        path = data_dir / name
        try:
            fd = create_private(path)
        except FileExistsError:
            number += 1
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return path
