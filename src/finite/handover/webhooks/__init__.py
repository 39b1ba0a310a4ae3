"""Handover surface: /api/v1/webhooks."""
