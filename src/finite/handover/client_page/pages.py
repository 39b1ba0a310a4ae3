"""The client page's HTML, rendered from Jinja2 templates (templates/) with every value escaped."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from finite.handover.branding.brand import Brand
from finite.handover.packs.schemas import PackOut
from finite.handover.packs.support_terms import support_duration


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("finite.handover.client_page", "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,  # templates ship inside the package: no stat() per render
        undefined=StrictUndefined,  # a missing value is a bug, not an empty string
    )


def render(name: str, **context: Any) -> str:
    return _templates().get_template(name).render(context)


@dataclass(frozen=True, slots=True)
class PackPage:
    brand: Brand
    project: str
    token: str
    pack: PackOut
    credentials_locked: bool
    signed_off: bool


def pack_page(page: PackPage) -> str:
    return render(
        "pack.html",
        agency=page.brand.name,
        brand=page.brand,
        project=page.project,
        token=page.token,
        pack=page.pack,
        support_duration=support_duration(page.pack.support_boundary.duration_days),
        credentials_locked=page.credentials_locked,
        signed_off=page.signed_off,
    )
