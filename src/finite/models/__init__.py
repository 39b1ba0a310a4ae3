"""The platform's tables, imported here so the one metadata knows them.

The CRM generates its per-module tables onto the same metadata when `finite.crm.modules.tables`
is imported; whatever needs every table (Alembic's env.py, the migration tests) imports it.
"""

from finite.models.accounts import Member, Organization, Role, Subscription
from finite.models.base import Base
from finite.models.console import ConsoleSession, MemberCredential
from finite.models.console_links import PasswordLink
from finite.models.crm import CustomField, LineItem, RecordCountDelta, RecordCounter
from finite.models.events import AuditChainHead, AuditEntry, Event, IdempotentRequest
from finite.models.handover import (
    HandoverBranding,
    HandoverClient,
    HandoverPack,
    HandoverProject,
    HandoverTemplate,
    PackCredential,
    PackItem,
    PackLink,
    PackSection,
    PackSend,
    Signoff,
)
from finite.models.imports import ImportChunk, ImportJob, ImportProblem
from finite.models.keys import ApiKey
from finite.models.mail import OutgoingMail
from finite.models.second_factor import ConsolePendingSignIn, MemberRecoveryCode, MemberTotp
from finite.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "AuditChainHead",
    "AuditEntry",
    "Base",
    "ConsolePendingSignIn",
    "ConsoleSession",
    "CustomField",
    "Event",
    "HandoverBranding",
    "HandoverClient",
    "HandoverPack",
    "HandoverProject",
    "HandoverTemplate",
    "IdempotentRequest",
    "ImportChunk",
    "ImportJob",
    "ImportProblem",
    "LineItem",
    "Member",
    "MemberCredential",
    "MemberRecoveryCode",
    "MemberTotp",
    "Organization",
    "OutgoingMail",
    "PackCredential",
    "PackItem",
    "PackLink",
    "PackSection",
    "PackSend",
    "PasswordLink",
    "RecordCountDelta",
    "RecordCounter",
    "Role",
    "Signoff",
    "Subscription",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
