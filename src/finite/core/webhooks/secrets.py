"""An endpoint's signing secrets, sealed at rest and bound to the endpoint's row."""

from __future__ import annotations

from datetime import datetime

from finite.core.sealing import register_sealed
from finite.kit.secretbox import SecretBox, row_binding
from finite.models.webhooks import WebhookEndpoint

TABLE = WebhookEndpoint.__tablename__
# `finite secrets rotate` re-seals them (core/sealing/).
SEALED_SECRET = register_sealed(WebhookEndpoint, "secret_sealed", "secret")
SEALED_PREVIOUS = register_sealed(WebhookEndpoint, "previous_secret_sealed", "previous_secret")


def binding(org_id: str, endpoint_id: str, column: str) -> bytes:
    return row_binding(TABLE, org_id, endpoint_id, column)


def seal_secret(box: SecretBox, endpoint: WebhookEndpoint, secret: str) -> bytes:
    return box.seal(secret, binding(endpoint.org_id, endpoint.id, "secret"))


def seal_previous(box: SecretBox, endpoint: WebhookEndpoint, secret: str) -> bytes:
    return box.seal(secret, binding(endpoint.org_id, endpoint.id, "previous_secret"))


def endpoint_secrets(box: SecretBox, endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, then the previous one while its overlap window lasts."""
    current = box.open(endpoint.secret_sealed, binding(endpoint.org_id, endpoint.id, "secret"))
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed is None or expires is None or expires <= now:
        return (current,)
    previous = box.open(
        endpoint.previous_secret_sealed, binding(endpoint.org_id, endpoint.id, "previous_secret")
    )
    return (current, previous)
