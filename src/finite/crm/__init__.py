"""The CRM API. Whatever part of it is imported, its modules are the ones roles govern."""

from finite.core.accounts.roles import register_modules
from finite.crm.module_names import CRM_MODULES

register_modules(CRM_MODULES)
