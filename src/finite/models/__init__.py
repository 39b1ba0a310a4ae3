"""All tables, imported here so the one metadata knows them."""

from finite.models.accounts import Member, Organization, Role, Subscription
from finite.models.base import Base
from finite.models.keys import ApiKey

__all__ = ["ApiKey", "Base", "Member", "Organization", "Role", "Subscription"]
