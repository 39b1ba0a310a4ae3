"""JSON shapes of /projects."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, UnsetType

from finite.handover.clients.schemas import ClientOut, Company, Email, Name
from finite.handover.project_status import ProjectStatus
from finite.handover.schemas import Camel
from finite.handover.templates.schemas import ProjectType

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class ProjectIn(Camel, forbid_unknown_fields=True):
    """Either `clientId`, or `clientName` and `clientEmail` (a client with that email is reused)."""

    name: Name
    project_type: ProjectType
    launch_date: date | None = None  # YYYY-MM-DD
    client_id: Id | None = None
    client_name: Name | None = None
    client_email: Email | None = None
    client_company: Company | None = None

    # The rule above, for the OpenAPI document (null is the same as absent).
    openapi_extra: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["clientId"],
                "properties": {
                    "clientId": {"type": "string"},
                    "clientName": {"type": "null"},
                    "clientEmail": {"type": "null"},
                    "clientCompany": {"type": "null"},
                },
            },
            {
                "required": ["clientName", "clientEmail"],
                "properties": {
                    "clientId": {"type": "null"},
                    "clientName": {"type": "string"},
                    "clientEmail": {"type": "string"},
                },
            },
        ]
    }


class ProjectPatch(Camel, forbid_unknown_fields=True):
    """Only the fields sent change; `launchDate: null` clears it. The status follows the pack
    (sent, viewed, signed off) and is not set directly."""

    name: Name | UnsetType = UNSET
    project_type: ProjectType | UnsetType = UNSET
    launch_date: date | UnsetType | None = UNSET
    client_id: Id | UnsetType = UNSET


class ProjectOut(Camel):
    id: str
    name: str
    project_type: str
    launch_date: date | None
    status: ProjectStatus
    client: ClientOut
    pack_id: str
    created_at: datetime
    updated_at: datetime
