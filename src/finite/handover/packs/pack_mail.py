"""The mail that takes a pack to its client: plain text and HTML from Jinja2 templates
(mail_templates/), every value escaped in the HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr, parseaddr
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from finite.handover.branding.accent import DEFAULT_ACCENT
from finite.kit.mail.message import Mail


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
    accent: str = DEFAULT_ACCENT  # `#rrggbb` only (branding/accent.py): it goes into styles
    on_accent: str = "#ffffff"
    logo_url: str | None = None
    logo_size: tuple[int, int] = (0, 0)  # pixels to show it at (width, height)
    branded: bool = False  # the agency's own name on the From line and the subject


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
        "on_accent": values.on_accent,
        "logo_url": values.logo_url,
        "logo_width": values.logo_size[0],
        "logo_height": values.logo_size[1],
    }
    subject = f"Your handover pack for {values.project}"
    if values.branded:
        subject += f" from {values.agency}"
    templates = _templates()
    return Mail(
        sender=branded_sender(values.sender, values.agency) if values.branded else values.sender,
        to=(values.to,),
        # One line, whatever the project name holds: a header cannot carry a line break.
        subject=" ".join(subject.split()),
        text=templates.get_template("pack_sent.txt").render(context),
        html=templates.get_template("pack_sent.html").render(context),
    )


def branded_sender(sender: str, name: str) -> str:
    """FINITE_MAIL_FROM's address under the agency's name (quoted or encoded as needed)."""
    _, address = parseaddr(sender)
    return formataddr((" ".join(name.split()), address or sender))
