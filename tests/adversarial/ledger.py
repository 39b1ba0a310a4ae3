"""Every secret the adversarial suites saw in plain text — API keys, webhook signing secrets,
credential passwords — and every log line written meanwhile, for the sweep at the end
(test_zz_secret_sweep.py) to look for in the databases and the logs."""

from __future__ import annotations

import base64
import binascii
import logging

from finite.core.webhooks.signing import SECRET_PREFIX

KEY_PREFIXES = ("fsk_", "fz_live_")


class Ledger:
    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.lines: list[str] = []

    def add(self, *secrets: str) -> None:
        self.secrets.update(secret for secret in secrets if secret)

    def needles(self) -> dict[bytes, str]:
        """Each secret's forms that must not be found, to the secret they come from: the
        whole, the random part after a key's or secret's prefix, a webhook secret's bytes."""
        found: dict[bytes, str] = {}
        for secret in self.secrets:
            found[secret.encode()] = secret
            for prefix in (*KEY_PREFIXES, SECRET_PREFIX):
                if secret.startswith(prefix):
                    found[secret.removeprefix(prefix).encode()] = secret
            if secret.startswith(SECRET_PREFIX):
                raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
                found[raw] = secret
                found[binascii.hexlify(raw)] = secret  # PostgreSQL shows bytea as hex
        return found


class LedgerHandler(logging.Handler):
    """Keeps every record, formatted with its arguments and exception text."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(logging.DEBUG)
        self.ledger = ledger
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.ledger.lines.append(self.format(record))
