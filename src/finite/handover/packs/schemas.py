"""JSON shapes of /projects/{id}/pack: read with masked credentials, replaced whole with PUT, or
edited one credential or item at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from finite.handover.schemas import Camel
from finite.handover.templates.schemas import (
    ItemKind,
    SectionKind,
    SupportBoundary,
    Text,
    Title,
    Url,
)
from finite.kit.validate import EMAIL_PATTERN, OPTIONAL_TEXT_PATTERN, TEXT_PATTERN

MASK = "••••••••"

Id = Annotated[str, msgspec.Meta(max_length=40)]
# Blank is the same as none (handover/packs/credentials.py `clean_username`).
Username = Annotated[
    str, msgspec.Meta(max_length=320, extra_json_schema={"pattern": OPTIONAL_TEXT_PATTERN})
]
# Any character but NUL, which no JSON body may hold (platform/request_bodies.py).
_NO_NUL = {"pattern": "^[^\\x00]*$"}
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=4096, extra_json_schema=_NO_NUL)]


class ItemOut(Camel):
    id: str
    section_id: str
    kind: ItemKind
    title: str
    url: str | None
    description: str


class SectionOut(Camel):
    id: str
    kind: SectionKind
    title: str
    description: str
    items: list[ItemOut]


class CredentialOut(Camel):
    """`password` is always masked; the public API never reveals it."""

    id: str
    platform: str
    url: str | None
    username: str | None
    password: str | None  # "••••••••" when one is set, else null
    has_password: bool
    notes: str
    updated_at: datetime


MailStatus = Literal["queued", "sent", "failed", "dead"]


class SendOut(Camel):
    """One sending of the pack to one recipient, and what became of its mail."""

    id: str
    recipient_email: str
    message: str | None
    sent_at: datetime  # when the pack was sent (the request)
    # queued (waiting to go), sent (handed to the mail server), failed (tried again at
    # nextAttemptAt), dead (given up: lastError says why). Null for sends before mail existed.
    mail_status: MailStatus | None
    mail_error: str | None
    delivered_at: datetime | None  # when the mail server took it
    next_attempt_at: datetime | None
    link_expires_at: datetime | None
    link_replaced: bool  # a later sending replaced this one's link


Recipient = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=320,
        description="An email address; trimmed and compared without case.",
        extra_json_schema={"pattern": EMAIL_PATTERN},
    ),
]
PersonalMessage = Annotated[
    str, msgspec.Meta(max_length=2000, extra_json_schema={"pattern": TEXT_PATTERN})
]
LinkDays = Annotated[int, msgspec.Meta(ge=1, le=365)]


class SendIn(Camel, forbid_unknown_fields=True):
    """Send the pack: a link for each recipient (default: the project's client), by email."""

    personal_message: PersonalMessage | None = None
    recipients: Annotated[list[Recipient], msgspec.Meta(min_length=1, max_length=10)] | None = None
    link_expires_in_days: LinkDays = 30


class SentOut(Camel):
    project_id: str
    status: str  # the project's, now at least pack_sent
    sends: list[SendOut]  # this sending's, one per recipient


class PackAccessOut(Camel):
    """The client page's options; the pack password itself is never shown."""

    has_password: bool
    credentials_after_sign_off: bool


class PackOut(Camel):
    id: str
    project_id: str
    template_id: str | None
    status: str  # the project's: draft, pack_sent, viewed or signed_off
    scope_summary: str
    sections: list[SectionOut]
    credentials: list[CredentialOut]
    support_boundary: SupportBoundary
    send_history: list[SendOut]  # newest first
    access: PackAccessOut  # the client page's options (PATCH …/pack/access)
    created_at: datetime
    updated_at: datetime


class ItemPut(Camel, forbid_unknown_fields=True):
    kind: ItemKind
    title: Title
    url: Url | None = None
    description: Text = ""
    id: Id | None = None  # keep this item's id; omit for a new item


class SectionPut(Camel, forbid_unknown_fields=True):
    kind: SectionKind
    title: Title
    description: Text = ""
    items: Annotated[list[ItemPut], msgspec.Meta(max_length=200)] = []
    id: Id | None = None  # keep this section's id; omit for a new section


class CredentialPut(Camel, forbid_unknown_fields=True):
    """With the `id` of an existing credential and no `password`, its password is kept;
    `password: null` clears it."""

    platform: Title
    url: Url | None = None
    username: Username | None = None
    password: Password | UnsetType | None = UNSET
    notes: Text = ""
    id: Id | None = None


class PackPut(Camel, forbid_unknown_fields=True):
    """The whole pack: what is not sent is removed."""

    scope_summary: Text
    sections: Annotated[list[SectionPut], msgspec.Meta(max_length=30)]
    credentials: Annotated[list[CredentialPut], msgspec.Meta(max_length=100)]
    support_boundary: SupportBoundary


class CredentialIn(Camel, forbid_unknown_fields=True):
    platform: Title
    url: Url | None = None
    username: Username | None = None
    password: Password | None = None
    notes: Text = ""


class CredentialPatch(Camel, forbid_unknown_fields=True):
    """Only the fields sent change; without `password` the password is kept, null clears it."""

    platform: Title | UnsetType = UNSET
    url: Url | UnsetType | None = UNSET
    username: Username | UnsetType | None = UNSET
    password: Password | UnsetType | None = UNSET
    notes: Text | UnsetType = UNSET


class ItemIn(Camel, forbid_unknown_fields=True):
    section_id: Id
    kind: ItemKind
    title: Title
    url: Url | None = None
    description: Text = ""


class ItemPatch(Camel, forbid_unknown_fields=True):
    """Only the fields sent change; a new `sectionId` moves the item to the end of that section."""

    section_id: Id | UnsetType = UNSET
    kind: ItemKind | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    url: Url | UnsetType | None = UNSET
    description: Text | UnsetType = UNSET


PackPassword = Annotated[str, msgspec.Meta(min_length=4, max_length=200, extra_json_schema=_NO_NUL)]


class PackAccessPatch(Camel, forbid_unknown_fields=True):
    """The client page's options; only the fields sent change. `password` is write-only: a new
    one replaces the old, null removes it (the page then opens without one)."""

    password: PackPassword | UnsetType | None = UNSET
    credentials_after_sign_off: bool | UnsetType = UNSET
