"""Which CRM engine object serves a database: one per kit engine, made once at import."""

from __future__ import annotations

from finite.crm.engines.base import CrmEngine
from finite.crm.engines.postgres import PostgresCrm
from finite.crm.engines.sqlite import SqliteCrm
from finite.kit.db import Database, RawRead, engine_of
from finite.kit.fast_read import Source

CRM_ENGINES: dict[str, CrmEngine] = {engine.name: engine() for engine in (SqliteCrm, PostgresCrm)}
SQLITE = CRM_ENGINES["sqlite"]
POSTGRES = CRM_ENGINES["postgresql"]


def crm_engine(source: Source | Database) -> CrmEngine:
    """The CRM engine of a database, a session or a raw_read() connection."""
    if isinstance(source, Database | RawRead):
        return CRM_ENGINES[source.backend.name]
    return CRM_ENGINES[engine_of(source).name]
