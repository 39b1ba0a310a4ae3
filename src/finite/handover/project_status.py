"""A project's status follows its pack: draft → pack_sent → viewed → signed_off, forward only."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from finite.models import HandoverProject

ProjectStatus = Literal["draft", "pack_sent", "viewed", "signed_off"]

ORDER: tuple[ProjectStatus, ...] = ("draft", "pack_sent", "viewed", "signed_off")


def advance(project: HandoverProject, status: ProjectStatus, now: datetime) -> bool:
    """Move the project forward to `status`; never back (sending again after the client viewed
    the pack leaves it viewed). True when the status changed."""
    if ORDER.index(status) <= ORDER.index(project.status):
        return False
    project.status = status
    project.updated_at = now
    return True
