"""The Handover API's test data that several test files share."""

from __future__ import annotations

# The seed's example (support article "API and Integrations").
SEED_EXAMPLE = {
    "name": "Website closeout",
    "clientName": "Jane Smith",
    "clientEmail": "jane@example.com",
    "projectType": "Web Design",
    "launchDate": "2026-06-01",
}
