"""Webhooks for any product: endpoints, fan-out of outbox events, signed deliveries, retries."""
