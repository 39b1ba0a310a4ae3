"""What the key panels read from their forms and show in their tables.

The rules themselves (a name's length and characters, an expiry in the future, the known
scopes, a CRM key belonging to a member) are the key service's (core/keys/service.py), the same
the APIs and `finite keys` apply; this module only turns form fields into its arguments and its
refusals into each field's reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from finite.core.keys.service import HANDOVER_SCOPES, key_status
from finite.core.keys.tokens import hint
from finite.core.plans.catalog import Product
from finite.kit.errors import AppError, Problems
from finite.models import ApiKey, Member, Role

MAX_FIELD = 1000  # longer than any field the form takes: cut before anything reads it


@dataclass(frozen=True, slots=True)
class KeyForm:
    """The create form as typed, shown again with each field's reason when refused."""

    name: str = ""
    expires: str = ""  # YYYY-MM-DD, or empty for never
    member: str = ""  # CRM: the member the key acts as (their role)
    scopes: tuple[str, ...] = ("read",)  # handover
    errors: dict[str, str] = field(default_factory=dict)


def read_form(form: Mapping[str, object], scopes: Sequence[str]) -> KeyForm:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value[:MAX_FIELD] if isinstance(value, str) else ""

    return KeyForm(
        name=text("name"),
        expires=text("expires").strip(),
        member=text("member").strip(),
        scopes=tuple(scope[:MAX_FIELD] for scope in scopes),
    )


def expiry_of(typed: str, problems: Problems) -> datetime | None:
    """The start (00:00 UTC) of the date typed; empty: never. A date that is not one is kept
    as a problem of the `expires` field; one not in the future is the key service's."""
    if not typed:
        return None
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        problems.add(
            "expires", "must be a date (YYYY-MM-DD), or empty for a key that never expires"
        )
        return None
    return datetime.combine(day, time(0), UTC)


def with_errors(form: KeyForm, error: AppError) -> KeyForm:
    """The form again with the refusal's reasons by field (the first reason of each)."""
    errors: dict[str, str] = {}
    for detail in error.details:
        errors.setdefault(detail.field or "form", detail.message)
    if not errors:
        errors["form"] = error.message
    return KeyForm(form.name, form.expires, form.member, form.scopes, errors)


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One key as the table shows it: never the key, its prefix and last four only."""

    id: str
    name: str
    hint: str
    status: str
    created_at: str
    last_used_at: str
    expires_at: str
    revoked_at: str
    member: str  # CRM: whose key (it acts with their role)
    role: str
    scopes: str  # handover


def _when(moment: datetime | None, absent: str) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else absent


def key_row(
    key: ApiKey, product: Product, now: datetime, member: Member | None, role: Role | None
) -> KeyRow:
    return KeyRow(
        id=key.id,
        name=key.name,
        hint=hint(product, key.last_four),
        status=key_status(key, now),
        created_at=_when(key.created_at, ""),
        last_used_at=_when(key.last_used_at, "never"),
        expires_at=_when(key.expires_at, "never"),
        revoked_at=_when(key.revoked_at, ""),
        member=f"{member.name} <{member.email}>" if member else "",
        role=role.name if role else "",
        scopes=", ".join(key.scopes),
    )


def scope_choices() -> tuple[str, ...]:
    return HANDOVER_SCOPES
