"""Admin → Webhooks: the CRM's webhook endpoints, their delivery history, redelivery and
recovery, through the same services as /api/webhooks (crm/webhooks, core/webhooks)."""
