"""The embedded default's first start: a demo organization with one key per product."""

from __future__ import annotations

from dataclasses import dataclass

from finite.core.accounts import repository
from finite.core.accounts.service import PlanChoice, create_org
from finite.core.keys.service import create_key
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers

DEMO_ORG_NAME = "Demo Organization"
DEMO_OWNER_EMAIL = "admin@demo.example"


@dataclass(frozen=True, slots=True)
class DemoAccess:
    org_id: str
    owner_email: str
    crm_key: str
    handover_key: str


async def create_demo_if_empty(db: Database, peppers: Peppers) -> DemoAccess | None:
    """Only on a database without organizations; the keys are returned once and never stored."""
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
    return DemoAccess(org.id, owner.email, crm.token, handover.token)
