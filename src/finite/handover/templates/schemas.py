"""JSON shapes of /templates; a template's content is the pack a new project starts from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from finite.handover.schemas import Camel
from finite.kit.validate import (
    CLEAN_TEXT_PATTERN,
    OPTIONAL_TEXT_PATTERN,
    TEXT_PATTERN,
    URL_PATTERN,
)

SectionKind = Literal["access", "hosting", "training", "documentation", "support", "custom"]
ItemKind = Literal["link", "training", "document"]

# `extra_json_schema`: the service's own checks (handover/inputs.py), for the OpenAPI document.
_CLEAN = {"pattern": CLEAN_TEXT_PATTERN}
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, extra_json_schema=_CLEAN)]
ProjectType = Annotated[str, msgspec.Meta(min_length=1, max_length=100, extra_json_schema=_CLEAN)]
Text = Annotated[str, msgspec.Meta(max_length=10_000, extra_json_schema={"pattern": TEXT_PATTERN})]
Url = Annotated[
    str,
    msgspec.Meta(
        max_length=2048,
        description="An http:// or https:// link; blank is the same as none.",
        extra_json_schema={"pattern": URL_PATTERN},
    ),
]
Line = Annotated[
    str, msgspec.Meta(max_length=500, extra_json_schema={"pattern": OPTIONAL_TEXT_PATTERN})
]


class TemplateItem(Camel, forbid_unknown_fields=True):
    kind: ItemKind
    title: Title
    url: Url | None = None
    description: Text = ""


class TemplateSection(Camel, forbid_unknown_fields=True):
    kind: SectionKind
    title: Title
    description: Text = ""
    items: Annotated[list[TemplateItem], msgspec.Meta(max_length=200)] = []


class TemplateCredential(Camel, forbid_unknown_fields=True):
    """A login the pack should hand over; the agency fills in username and password per project."""

    platform: Title
    url: Url | None = None
    notes: Text = ""


class SupportBoundary(Camel, forbid_unknown_fields=True):
    duration_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] | None = None
    included: Annotated[list[Line], msgspec.Meta(max_length=50)] = []
    excluded: Annotated[list[Line], msgspec.Meta(max_length=50)] = []


Sections = Annotated[list[TemplateSection], msgspec.Meta(max_length=30)]
Credentials = Annotated[list[TemplateCredential], msgspec.Meta(max_length=100)]


class TemplateContent(Camel, forbid_unknown_fields=True):
    scope_summary: Text = ""
    sections: Sections = []
    credentials: Credentials = []
    support_boundary: SupportBoundary = msgspec.field(default_factory=SupportBoundary)


class TemplateIn(Camel, forbid_unknown_fields=True):
    name: Title
    project_type: ProjectType
    scope_summary: Text = ""
    sections: Sections = []
    credentials: Credentials = []
    support_boundary: SupportBoundary = msgspec.field(default_factory=SupportBoundary)


class TemplatePatch(Camel, forbid_unknown_fields=True):
    """Only the fields sent change; a list sent replaces the whole list."""

    name: Title | UnsetType = UNSET
    project_type: ProjectType | UnsetType = UNSET
    scope_summary: Text | UnsetType = UNSET
    sections: Sections | UnsetType = UNSET
    credentials: Credentials | UnsetType = UNSET
    support_boundary: SupportBoundary | UnsetType = UNSET


class TemplateOut(Camel):
    id: str
    name: str
    project_type: str
    built_in: bool
    scope_summary: str
    sections: list[TemplateSection]
    credentials: list[TemplateCredential]
    support_boundary: SupportBoundary
    created_at: datetime | None  # null for built-in templates
    updated_at: datetime | None


class DeletedOut(Camel):
    id: str
    deleted: bool
