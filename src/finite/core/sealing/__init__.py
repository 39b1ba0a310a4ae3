"""Sealed columns and their re-sealing under a new key (registry.py, reseal.py). Each owner
registers its columns (core/webhooks/secrets.py, handover/packs/credentials.py)."""

from finite.core.sealing.registry import SealedColumn, register_sealed, sealed_columns

__all__ = ["SealedColumn", "register_sealed", "sealed_columns"]
