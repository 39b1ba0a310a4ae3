"""The console's panels, in the order the navigation shows them. A panel marked admin-only is
shown to, and opened by, members of an Admin role alone (its routes use guards.admin_only)."""

from __future__ import annotations

from dataclasses import dataclass

from finite.console.principal import ConsoleUser


@dataclass(frozen=True, slots=True)
class Panel:
    label: str
    href: str
    admin_only: bool
    description: str


PANELS: tuple[Panel, ...] = (
    Panel("Home", "/console/", False, "Who you are signed in as, and your role's permissions."),
    Panel("API keys", "/console/keys", True, "Create, list and revoke the API keys."),
    Panel("Security", "/console/handover/keys", True, "The handover product's API keys."),
    Panel("Webhooks", "/console/webhooks", True, "Endpoints, their deliveries and retries."),
    Panel(
        "Handover webhooks",
        "/console/handover/webhooks",
        True,
        "The handover product's endpoints and deliveries.",
    ),
    Panel("Members", "/console/members", True, "Invite members, change roles, deactivate."),
    Panel("Roles", "/console/roles", True, "What each role may do, module by module."),
    Panel("Plan & usage", "/console/plan", False, "Each product's plan, limits and usage."),
    Panel("Audit log", "/console/audit", True, "Every call and console action, verified."),
    Panel("Account", "/console/account", False, "Your password, two-step sign-in, sessions."),
)


def panels_for(user: ConsoleUser | None) -> tuple[Panel, ...]:
    if user is None:
        return ()
    return tuple(panel for panel in PANELS if user.is_admin or not panel.admin_only)
