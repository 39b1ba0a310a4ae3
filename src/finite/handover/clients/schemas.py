"""JSON shapes of /clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from finite.handover.schemas import Camel
from finite.kit.validate import CLEAN_TEXT_PATTERN, EMAIL_PATTERN, OPTIONAL_TEXT_PATTERN
from finite.models import HandoverClient

# `extra_json_schema`: the service's own checks (handover/inputs.py), for the OpenAPI document.
Name = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=200, extra_json_schema={"pattern": CLEAN_TEXT_PATTERN}),
]
Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=320,
        description="An email address; trimmed and compared without case.",
        extra_json_schema={"pattern": EMAIL_PATTERN},
    ),
]
# Blank is the same as none.
Company = Annotated[
    str,
    msgspec.Meta(max_length=200, extra_json_schema={"pattern": OPTIONAL_TEXT_PATTERN}),
]


class ClientIn(Camel, forbid_unknown_fields=True):
    name: Name
    email: Email
    company: Company | None = None


class ClientPatch(Camel, forbid_unknown_fields=True):
    """Only the fields sent change; `company: null` clears it."""

    name: Name | UnsetType = UNSET
    email: Email | UnsetType = UNSET
    company: Company | UnsetType | None = UNSET


class ClientOut(Camel):
    id: str
    name: str
    email: str  # normalized: trimmed and lower-cased
    company: str | None
    created_at: datetime
    updated_at: datetime


def client_out(client: HandoverClient) -> ClientOut:
    return ClientOut(
        id=client.id,
        name=client.name,
        email=client.email,
        company=client.company,
        created_at=client.created_at,
        updated_at=client.updated_at,
    )
