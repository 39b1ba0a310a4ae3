"""JSON shapes of the Zapier actions: snake_case, as the seed writes them (the rest of the
handover API is camelCase)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import msgspec

from finite.handover.clients.schemas import Email, Name
from finite.handover.packs.schemas import PersonalMessage
from finite.handover.templates.schemas import ProjectType

# An id names nothing with a NUL in it; every body with one is refused (platform/request_bodies).
Id = Annotated[
    str, msgspec.Meta(min_length=1, max_length=40, extra_json_schema={"pattern": "^[^\\x00]*$"})
]


class CreateProjectIn(msgspec.Struct, forbid_unknown_fields=True):
    """Either `client_id`, or `client_name` and `client_email` (a client with that email, in
    any case, is reused)."""

    project_name: Name
    project_type: ProjectType
    launch_date: date | None = None  # YYYY-MM-DD
    client_id: Id | None = None
    client_name: Name | None = None
    client_email: Email | None = None

    # The rule above, for the OpenAPI document (null is the same as absent).
    openapi_extra: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["client_id"],
                "properties": {
                    "client_id": {"type": "string"},
                    "client_name": {"type": "null"},
                    "client_email": {"type": "null"},
                },
            },
            {
                "required": ["client_name", "client_email"],
                "properties": {
                    "client_id": {"type": "null"},
                    "client_name": {"type": "string"},
                    "client_email": {"type": "string"},
                },
            },
        ]
    }


class SendPackIn(msgspec.Struct, forbid_unknown_fields=True):
    """Send the project's pack to its client, with an optional personal message."""

    project_id: Id
    personal_message: PersonalMessage | None = None


class ZapierProjectOut(msgspec.Struct):
    id: str
    name: str
    project_type: str
    launch_date: date | None
    status: str
    client_id: str
    client_name: str
    client_email: str
    pack_id: str
    created_at: datetime


class ZapierSentOut(msgspec.Struct):
    id: str  # this sending's id (one per action run)
    project_id: str
    status: str  # the project's, now at least pack_sent
    recipient_email: str
    personal_message: str | None
    sent_at: datetime
    mail_status: str | None  # queued until the mail worker hands it to the mail server
