"""The canonical forms behind a sign-off's hashes (docs/handover-api.md "Sign-off evidence").

Both are JSON with sorted keys, no whitespace (separators "," and ":"), UTF-8 with non-ASCII
characters written as themselves, and a `form` naming its version, hashed with SHA-256 (hex).

- The pack snapshot (`packSha256`): what the pack hands over, as the client saw it — scope
  summary; sections in order, each with kind, title, description and its items in order (kind,
  title, url, description); credentials in order with platform, url, username and notes (never a
  password, nor whether one is set); the support boundary (durationDays, included, excluded).
  Ids, times, the send history and the page's access options are left out: they change without
  the pack's content changing.
- The evidence record (the certificate's hash): the sign-off's id, organization, project and
  pack ids, signer's name and email, `signedAt` (ISO 8601 UTC, milliseconds, "Z"), IP address,
  user agent, consent version and SHA-256, and the pack snapshot's SHA-256. Names of the project
  and agency are not in it: renaming them does not void a certificate.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from finite.handover.packs.schemas import PackOut
from finite.kit.clock import iso_millis
from finite.models import Signoff

PACK_FORM = "finite.pack-snapshot/1"
EVIDENCE_FORM = "finite.signoff-evidence/1"


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack_snapshot(pack: PackOut) -> bytes:
    boundary = pack.support_boundary
    return canonical_json(
        {
            "form": PACK_FORM,
            "scopeSummary": pack.scope_summary,
            "sections": [
                {
                    "kind": section.kind,
                    "title": section.title,
                    "description": section.description,
                    "items": [
                        {
                            "kind": item.kind,
                            "title": item.title,
                            "url": item.url,
                            "description": item.description,
                        }
                        for item in section.items
                    ],
                }
                for section in pack.sections
            ],
            "credentials": [
                {
                    "platform": credential.platform,
                    "url": credential.url,
                    "username": credential.username,
                    "notes": credential.notes,
                }
                for credential in pack.credentials
            ],
            "supportBoundary": {
                "durationDays": boundary.duration_days,
                "included": list(boundary.included),
                "excluded": list(boundary.excluded),
            },
        }
    )


def evidence_record(row: Signoff) -> bytes:
    return canonical_json(
        {
            "form": EVIDENCE_FORM,
            "signoffId": row.id,
            "orgId": row.org_id,
            "projectId": row.project_id,
            "packId": row.pack_id,
            "signerName": row.signer_name,
            "signerEmail": row.signer_email,
            "signedAt": iso_millis(row.signed_at),
            "ipAddress": row.ip_address,
            "userAgent": row.user_agent,
            "consentVersion": row.consent_version,
            "consentSha256": row.consent_sha256,
            "packSha256": row.pack_sha256,
        }
    )


def certificate_hash(row: Signoff) -> str:
    return sha256_hex(evidence_record(row))
