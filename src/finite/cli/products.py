"""What the commands that walk every table need loaded first."""

from __future__ import annotations


def load_products() -> None:
    """Import both products, as the server does: they register their tables, their sealed
    columns (core/sealing/) and their kinds of rows for retention (core/retention/)."""
    import finite.core.accounts.second_factor  # the console's TOTP secrets (member_totp)
    import finite.crm.routes
    import finite.handover.routes  # noqa: F401
