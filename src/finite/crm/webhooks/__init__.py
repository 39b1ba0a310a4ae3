"""CRM surface: /api/webhooks."""
