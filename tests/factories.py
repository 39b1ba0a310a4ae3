"""Build organizations, members and keys straight through the services, as the CLI does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finite.core.accounts.service import PlanChoice, add_member, create_org
from finite.core.keys.service import create_key
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id


@dataclass(frozen=True)
class OrgSetup:
    org_id: str
    owner_id: str
    owner_email: str
    crm_key: str
    crm_key_id: str
    handover_key: str
    handover_key_id: str


async def make_org(
    db: Database,
    peppers: Peppers,
    *,
    crm: PlanChoice | None = None,
    handover: PlanChoice | None = None,
    handover_scopes: tuple[str, ...] = ("read", "write", "admin"),
) -> OrgSetup:
    suffix = new_id("t")[-8:]
    async with db.transaction() as session:
        org, owner = await create_org(
            session,
            f"Test Org {suffix}",
            owner_email=f"owner-{suffix}@example.com",
            owner_name="Olivia Owner",
            crm=crm or PlanChoice("enterprise", "active"),
            handover=handover or PlanChoice("agency", "active"),
        )
        crm_key = await create_key(
            session, peppers, org_id=org.id, product="crm", name="crm test", member_id=owner.id
        )
        handover_key = await create_key(
            session,
            peppers,
            org_id=org.id,
            product="handover",
            name="handover test",
            member_id=owner.id,
            scopes=handover_scopes,
        )
    return OrgSetup(
        org.id,
        owner.id,
        owner.email,
        crm_key.token,
        crm_key.record.id,
        handover_key.token,
        handover_key.record.id,
    )


async def make_member_key(
    db: Database, peppers: Peppers, org_id: str, role: str, email: str | None = None
) -> tuple[str, str]:
    """A member with `role` and a CRM key of theirs; returns (member id, key)."""
    async with db.transaction() as session:
        member = await add_member(
            session,
            org_id,
            email=email or f"{new_id('m')[-8:]}@example.com",
            name=f"{role} Member",
            role=role,
        )
        key = await create_key(
            session, peppers, org_id=org_id, product="crm", name=f"{role} key", member_id=member.id
        )
    return member.id, key.token


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def make_handover_key(
    db: Database, peppers: Peppers, org_id: str, scopes: tuple[str, ...]
) -> str:
    """Another handover key of the organization, with just these scopes."""
    async with db.transaction() as session:
        key = await create_key(
            session,
            peppers,
            org_id=org_id,
            product="handover",
            name=f"{'+'.join(scopes)} key",
            member_id=None,
            scopes=scopes,
        )
    return key.token


def audit_fields(org_id: str, **values: Any) -> dict[str, Any]:
    """An audit row's content columns as a listed call leaves them (no chain columns)."""
    fields: dict[str, Any] = {
        "org_id": org_id,
        "id": new_id("aud"),
        "occurred_at": utcnow(),
        "product": "crm",
        "key_id": "key_test",
        "key_name": "test",
        "member_id": None,
        "method": "GET",
        "path": "/api/records/leads",
        "status": 200,
        "module": "leads",
        "record_id": None,
        "action": "list",
        "request_id": new_id("req"),
        "client_ip": "127.0.0.1",
        "user_agent": "pytest",
        "changes": None,
    }
    fields.update(values)
    return fields
