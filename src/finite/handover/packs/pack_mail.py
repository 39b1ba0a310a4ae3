"""The mail that takes a pack to its client: plain text and HTML from Jinja2 templates
(mail_templates/), every value escaped in the HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from finite.kit.mail.message import Mail

DEFAULT_ACCENT = "#2563eb"


@dataclass(frozen=True, slots=True)
class PackMail:
    sender: str
    agency: str
    project: str
    client_name: str
    to: str
    link: str
    expires_at: datetime
    message: str | None = None
    accent: str = DEFAULT_ACCENT


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("finite.handover.packs", "mail_templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,  # templates ship inside the package: no stat() per render
        undefined=StrictUndefined,  # a missing value is a bug, not an empty string
        keep_trailing_newline=True,
    )


def pack_sent_mail(values: PackMail) -> Mail:
    context = {
        "agency": values.agency,
        "project": values.project,
        "client_name": values.client_name,
        "link": values.link,
        "message": (values.message or "").strip(),
        "expires": values.expires_at.strftime("%d %B %Y, %H:%M"),
        "accent": values.accent,
    }
    templates = _templates()
    return Mail(
        sender=values.sender,
        to=(values.to,),
        # One line, whatever the project name holds: a header cannot carry a line break.
        subject=" ".join(f"Your handover pack for {values.project}".split()),
        text=templates.get_template("pack_sent.txt").render(context),
        html=templates.get_template("pack_sent.html").render(context),
    )
