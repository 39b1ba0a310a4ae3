"""Mass assignment: system fields sent in a body — ids, the organization, versions, authors and
dates, secrets, roles, scopes, plans — on every create and update of both APIs are refused with
a 4xx that changes nothing, or ignored: the stored thing keeps the server's own values.
Hypothesis picks which system fields and which values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from sqlalchemy import select

from finite.kit.db import Database
from finite.models import Base
from tests.adversarial.routes import api_routes
from tests.adversarial.world import Client, World

SNAKE = ("id", "org_id", "version", "created_by", "created_at", "updated_at")
CAMEL = ("id", "orgId", "version", "createdBy", "createdAt", "updatedAt", "status", "packId")
PRIVILEGED = (
    "secret",
    "key",
    "token",
    "hash",
    "role",
    "roles",
    "is_admin",
    "isAdmin",
    "scopes",
    "plan",
    "member_id",
    "key_hash",
    "password_sealed",
    "builtIn",
    "built_in",
    "product",
)
BOGUS = st.one_of(
    st.just("org_01aaaaaaaaaaaaaaaaaaaaaaaa"),
    st.just("2000-01-01T00:00:00Z"),
    st.just("Admin"),
    st.just(["read", "write", "admin"]),
    st.just("enterprise"),
    st.just(True),
    st.integers(min_value=10**6, max_value=2**62),
    st.integers(min_value=-(2**62), max_value=-1),
    st.text(min_size=3, max_size=12),
    st.none(),
)
SETTINGS = settings(
    max_examples=5,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each run is ~100 calls
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Write:
    """One create or update route, a body it accepts, and where to read what it changed."""

    route: str  # as `Route.__str__` prints it
    path: str
    body: dict[str, Any]
    read: str  # the GET showing the thing; `{id}` for the created one's id
    fields: tuple[str, ...]
    listing: str = ""  # for a create: the GET listing every such thing

    @property
    def state(self) -> str:
        """What a refused call must leave as it was."""
        return self.listing or self.read


def writes(ids: Mapping[str, str]) -> list[Write]:
    project = f"/api/v1/projects/{ids['project_id']}"
    pack = f"{project}/pack"
    return [
        Write(
            "POST /api/records/{module:str}",
            "/api/records/leads",
            {"name": "MA lead"},
            "/api/records/leads/{id}",
            SNAKE + PRIVILEGED,
            "/api/records/leads",
        ),
        Write(  # system fields inside its records: tests/crm/records/test_batch.py
            "POST /api/records/{module:str}/batch",
            "/api/records/leads/batch",
            {"records": [{"name": "MA lead"}]},
            "/api/records/leads",
            SNAKE + PRIVILEGED,
            "/api/records/leads",
        ),
        Write(
            "PUT /api/records/{module:str}/{record_id:int}",
            f"/api/records/leads/{ids['record_id']}",
            {"title": "MA title"},
            f"/api/records/leads/{ids['record_id']}",
            SNAKE + PRIVILEGED,
        ),
        Write("POST /api/keys", "/api/keys", {"name": "MA key"}, "/api/keys", SNAKE + PRIVILEGED),
        Write(
            "POST /api/webhooks",
            "/api/webhooks",
            {"url": "http://127.0.0.1:9/ma"},
            "/api/webhooks/{id}",
            SNAKE + PRIVILEGED,
            "/api/webhooks",
        ),
        Write(
            "PATCH /api/webhooks/{webhook_id:str}",
            f"/api/webhooks/{ids['webhook_id']}",
            {"description": "MA"},
            f"/api/webhooks/{ids['webhook_id']}",
            SNAKE + PRIVILEGED,
        ),
        Write(
            "PUT /api/roles/{role:str}",
            "/api/roles/Standard",
            {"permissions": {"leads": ["view"]}},
            "/api/roles",
            SNAKE + PRIVILEGED,
        ),
        Write(
            "POST /api/modules/{module:str}/fields",
            "/api/modules/leads/fields",
            {"key": "cf_ma", "label": "MA", "type": "text"},
            "/api/modules/leads",
            SNAKE + PRIVILEGED,
        ),
        Write(
            "POST /api/v1/keys",
            "/api/v1/keys",
            {"name": "MA key"},
            "/api/v1/keys",
            # `scopes` is this body's own field, capped at the caller's scopes (a full-scope
            # caller may send all three): checked by the key tests, not here.
            CAMEL + tuple(name for name in PRIVILEGED if name != "scopes"),
        ),
        Write(
            "POST /api/v1/clients",
            "/api/v1/clients",
            {"name": "MA client", "email": "ma@example.com"},
            "/api/v1/clients/{id}",
            CAMEL + PRIVILEGED,
            "/api/v1/clients",
        ),
        Write(
            "PATCH /api/v1/clients/{client_id:str}",
            f"/api/v1/clients/{ids['client_id']}",
            {"name": "MA"},
            f"/api/v1/clients/{ids['client_id']}",
            CAMEL + PRIVILEGED,
        ),
        Write(
            "POST /api/v1/projects",
            "/api/v1/projects",
            {"name": "MA project", "clientId": ids["client_id"], "projectType": "SEO"},
            "/api/v1/projects/{id}",
            CAMEL + PRIVILEGED,
            "/api/v1/projects",
        ),
        Write(
            "PATCH /api/v1/projects/{project_id:str}",
            project,
            {"name": "MA"},
            project,
            CAMEL + PRIVILEGED,
        ),
        Write(
            "PUT /api/v1/projects/{project_id:str}/pack",
            pack,
            {
                "scopeSummary": "MA",
                "sections": [],
                "credentials": [],
                "supportBoundary": {"durationDays": 1, "included": [], "excluded": []},
            },
            pack,
            CAMEL + PRIVILEGED + ("projectId", "templateId", "sendHistory", "access"),
        ),
        Write(
            "POST /api/v1/projects/{project_id:str}/pack/credentials",
            f"{pack}/credentials",
            {"platform": "MA"},
            pack,
            CAMEL + PRIVILEGED + ("hasPassword",),
        ),
        Write(
            "PATCH /api/v1/projects/{project_id:str}/pack/credentials/{credential_id:str}",
            f"{pack}/credentials/{ids['credential_id']}",
            {"notes": "MA"},
            pack,
            CAMEL + PRIVILEGED + ("hasPassword",),
        ),
        Write(
            "POST /api/v1/projects/{project_id:str}/pack/send",
            f"{pack}/send",
            {"personalMessage": "MA"},
            pack,
            CAMEL + PRIVILEGED + ("projectId", "sends", "status"),
        ),
        Write(
            "PATCH /api/v1/projects/{project_id:str}/pack/access",
            f"{pack}/access",
            {"credentialsAfterSignOff": False},
            pack,
            CAMEL + PRIVILEGED + ("hasPassword", "passwordHash", "password_hash"),
        ),
        Write(
            "POST /api/v1/projects/{project_id:str}/pack/items",
            f"{pack}/items",
            {"sectionId": ids["section_id"], "kind": "link", "title": "MA item"},
            pack,
            CAMEL + PRIVILEGED,
        ),
        Write(
            "PATCH /api/v1/projects/{project_id:str}/pack/items/{item_id:str}",
            f"{pack}/items/{ids['item_id']}",
            {"title": "MA"},
            pack,
            CAMEL + PRIVILEGED,
        ),
        Write(
            "POST /api/v1/zapier/actions/create-project",
            "/api/v1/zapier/actions/create-project",
            {"project_name": "MA project", "client_id": ids["client_id"], "project_type": "SEO"},
            "/api/v1/projects/{id}",
            SNAKE + PRIVILEGED + ("status", "pack_id", "name"),
            "/api/v1/projects",
        ),
        Write(
            "POST /api/v1/zapier/actions/send-pack",
            "/api/v1/zapier/actions/send-pack",
            {"project_id": ids["project_id"], "personal_message": "MA"},
            pack,
            SNAKE + PRIVILEGED + ("status", "sends", "recipients"),
        ),
        Write(
            "POST /api/v1/templates",
            "/api/v1/templates",
            {"name": "MA template", "projectType": "MA type", "sections": []},
            "/api/v1/templates/{id}",
            CAMEL + PRIVILEGED,
            "/api/v1/templates",
        ),
        Write(
            "PATCH /api/v1/templates/{template_id:str}",
            f"/api/v1/templates/{ids['template_id']}",
            {"name": "MA"},
            f"/api/v1/templates/{ids['template_id']}",
            CAMEL + PRIVILEGED,
        ),
        Write(
            "POST /api/v1/webhooks",
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:9/ma"},
            "/api/v1/webhooks/{id}",
            CAMEL + PRIVILEGED,
            "/api/v1/webhooks",
        ),
        Write(
            "PATCH /api/v1/webhooks/{webhook_id:str}",
            f"/api/v1/webhooks/{ids['handover_webhook_id']}",
            {"description": "MA"},
            f"/api/v1/webhooks/{ids['handover_webhook_id']}",
            CAMEL + PRIVILEGED,
        ),
        Write(
            "PUT /api/v1/branding",
            "/api/v1/branding",
            {"displayName": "MA brand", "accentColor": "#123456"},
            "/api/v1/branding",
            CAMEL + PRIVILEGED + ("orgId", "logoSha256", "shown"),
        ),
        Write(
            "POST /api/v1/zapier/hooks",
            "/api/v1/zapier/hooks",
            {"target_url": "http://127.0.0.1:9/ma", "event": "pack-sent"},
            "/api/v1/zapier/hooks/{id}",
            SNAKE + PRIVILEGED,
            "/api/v1/zapier/hooks",
        ),
    ]


VOLATILE = frozenset(
    {
        "request_id",
        "timestamp",
        "remaining",
        "updated_at",
        "updatedAt",
        "version",
        "last_used_at",
        "lastUsedAt",
    }
)


def stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def data_of(response: Any, handover: bool) -> Any:
    body = response.json()
    return body["data"] if handover else body


async def org_of_row(db: Database, row_id: str) -> list[str]:
    """The org_id of every row with this id, in any table that has both columns."""
    found: list[str] = []
    async with db.read() as session:
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and "org_id" in table.c:
                found += (
                    await session.scalars(select(table.c.org_id).where(table.c.id == row_id))
                ).all()
    return found


# Actions that store nothing a body could name: each takes no body, or only a time.
ACTIONS = frozenset(
    {
        "POST /api/webhooks/{webhook_id:str}/ping",
        "POST /api/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
        "POST /api/webhooks/{webhook_id:str}/recover",
        "POST /api/webhooks/{webhook_id:str}/rotate-secret",
        "POST /api/v1/webhooks/{webhook_id:str}/ping",
        "POST /api/v1/webhooks/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
        "POST /api/v1/webhooks/{webhook_id:str}/recover",
        "POST /api/v1/webhooks/{webhook_id:str}/rotate-secret",
        "POST /api/import/jobs/{job_id:str}/cancel",
        # A CSV, not JSON: its system columns (id, version, created_by, times) are ignored
        # and reported (tests/crm/imports/test_import.py).
        "POST /api/import/{filename:str}",
    }
)


def test_every_write_route_is_listed(app: Litestar) -> None:
    """A new create or update route joins `writes` (or this names it)."""
    routes = {str(r) for r in api_routes(app) if r.method in ("POST", "PUT", "PATCH")}
    listed = {write.route for write in writes(defaultdict(lambda: "x"))}
    assert routes - listed - ACTIONS == set()
    assert listed | ACTIONS <= routes


@SETTINGS
@given(data=st.data())
async def test_system_fields_are_refused_or_ignored(
    client: Client, db: Database, world: World, data: st.DataObject
) -> None:
    a, b = world.a, world.b
    for write in writes(a.ids):
        handover = write.path.startswith("/api/v1/")
        headers = a.handover if handover else a.crm
        choices = [name for name in write.fields if name not in write.body]
        chosen = data.draw(
            st.lists(st.sampled_from(choices), min_size=1, max_size=4, unique=True),
            label=write.route,
        )
        sent = {name: data.draw(BOGUS, label=name) for name in chosen}
        before = await client.get(write.state, headers=headers)
        assert before.status_code == 200, (write.state, before.text)
        method = write.route.split()[0]
        response = await client.request(
            method, write.path, json={**write.body, **sent}, headers=headers
        )
        assert response.status_code < 500, (write.route, sent, response.text)
        if response.status_code >= 400:
            assert response.status_code in (400, 409, 422), (write.route, sent, response.text)
            assert any(name in response.text for name in sent), (write.route, response.text)
            after = await client.get(write.state, headers=headers)
            assert stable(after.json()) == stable(before.json()), (write.route, sent)
            continue
        shown = data_of(response, handover)
        if "{id}" in write.read:  # created: read it back, and only A has it
            new_id = str(shown["id"])
            stored = data_of(
                await client.get(write.read.replace("{id}", new_id), headers=headers), handover
            )
            theirs = await client.get(
                write.read.replace("{id}", new_id), headers=b.handover if handover else b.crm
            )
            assert theirs.status_code == 404 or b.marker in theirs.text, (write.route, sent)
            if isinstance(shown["id"], str):
                assert set(await org_of_row(db, new_id)) == {a.org.org_id}, (write.route, sent)
        else:
            stored = (await client.get(write.read, headers=headers)).json()
        for name, value in sent.items():
            for seen in (shown, stored):
                if isinstance(seen, dict) and name in seen:
                    assert seen[name] != value or value is None or value is True, (
                        write.route,
                        name,
                        value,
                    )
        if isinstance(sent.get("id"), str) and sent["id"]:
            assert await org_of_row(db, sent["id"]) == [], (write.route, sent)
        for name in ("org_id", "orgId"):
            if name in sent:
                assert b.org.org_id not in response.text
