"""All tables, imported here so the one metadata knows them."""

# The CRM's per-module tables are generated from the registry onto the same metadata.
from finite.crm.modules import tables as _crm_module_tables  # noqa: F401
from finite.models.accounts import Member, Organization, Role, Subscription
from finite.models.base import Base
from finite.models.crm import CustomField, LineItem, RecordCounter
from finite.models.events import AuditChainHead, AuditEntry, Event, IdempotentRequest
from finite.models.handover import (
    HandoverClient,
    HandoverPack,
    HandoverProject,
    HandoverTemplate,
    PackCredential,
    PackItem,
    PackSection,
    PackSend,
    Signoff,
)
from finite.models.keys import ApiKey
from finite.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiKey",
    "AuditChainHead",
    "AuditEntry",
    "Base",
    "CustomField",
    "Event",
    "HandoverClient",
    "HandoverPack",
    "HandoverProject",
    "HandoverTemplate",
    "IdempotentRequest",
    "LineItem",
    "Member",
    "Organization",
    "PackCredential",
    "PackItem",
    "PackSection",
    "PackSend",
    "RecordCounter",
    "Role",
    "Signoff",
    "Subscription",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
