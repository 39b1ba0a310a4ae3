"""The CRM's engine classes (the interface: crm/engine.py), one object each, registered here."""

from finite.crm.engine import register_crm_engine
from finite.crm.engines.postgres import PostgresCrm
from finite.crm.engines.sqlite import SqliteCrm

SQLITE = register_crm_engine(SqliteCrm())
POSTGRES = register_crm_engine(PostgresCrm())
