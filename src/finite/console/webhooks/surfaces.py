"""The products whose webhooks the console manages, each through its own API's service and
input shapes (the same rules as its /api webhooks), at its own address under /console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from finite.crm.module_names import CRM_MODULES
from finite.crm.webhooks import schemas as crm_schemas
from finite.crm.webhooks import service as crm_service
from finite.handover.events import HANDOVER_EVENTS
from finite.handover.webhooks import schemas as handover_schemas
from finite.handover.webhooks import service as handover_service


@dataclass(frozen=True, slots=True)
class Surface:
    product: str  # the plan's product and the endpoints' `product`
    label: str  # "CRM", "Handover"
    path: str  # under /console
    service: Any  # crm/webhooks/service.py or handover/webhooks/service.py: the same functions
    new_shape: type[msgspec.Struct]
    change_shape: type[msgspec.Struct]
    modules: tuple[str, ...]  # empty: the product's events have no module
    events: tuple[str, ...]
    what: str  # what its events are about, for the list page

    @property
    def base(self) -> str:
        return f"/console{self.path}"


CRM = Surface(
    product="crm",
    label="CRM",
    path="/webhooks",
    service=crm_service,
    new_shape=crm_schemas.WebhookIn,
    change_shape=crm_schemas.WebhookPatchIn,
    modules=CRM_MODULES,
    events=crm_schemas.CRM_EVENTS,
    what="the CRM's record events (create, update, delete)",
)
HANDOVER = Surface(
    product="handover",
    label="Handover",
    path="/handover/webhooks",
    service=handover_service,
    new_shape=handover_schemas.WebhookIn,
    change_shape=handover_schemas.WebhookPatchIn,
    modules=(),
    events=tuple(HANDOVER_EVENTS),
    what="the handover's project events",
)
SURFACES = (CRM, HANDOVER)
