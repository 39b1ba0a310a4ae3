"""The CRM API. Whatever part of it is imported, its modules are the ones roles govern and its
engine classes serve the CRM's databases."""

from finite.core.accounts.roles import register_modules
from finite.crm.module_names import CRM_MODULES

register_modules(CRM_MODULES)

# Last: the engine classes import most of the CRM.
import finite.crm.engines  # noqa: E402, F401
