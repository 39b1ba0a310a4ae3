"""The consent a client confirms when signing off: one text, one version. A change of wording
is a new version (never edit a published text in place): each sign-off stores the exact text it
showed and its SHA-256, so old sign-offs keep proving what their signer read."""

from __future__ import annotations

from typing import Final

CONSENT_VERSION: Final = "2026-12-07"
CONSENT_TEXT: Final = (
    "I confirm that I have received and reviewed this handover pack: its scope summary, "
    "credentials, training resources, documents and support terms. I accept the handover as "
    "complete, and I understand that the support described in the pack starts today and covers "
    "only what it lists as included."
)
