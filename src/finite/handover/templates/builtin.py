"""Built-in templates, one per common project type, as code data with stable ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from finite.handover.templates.schemas import (
    ItemKind,
    SectionKind,
    SupportBoundary,
    TemplateContent,
    TemplateCredential,
    TemplateItem,
    TemplateSection,
)

GENERIC_TYPE = "Other"


@dataclass(frozen=True, slots=True)
class BuiltinTemplate:
    id: str
    name: str
    project_type: str
    content: TemplateContent


def type_key(project_type: str) -> str:
    """``Web Design``, ``web-design`` and ``web_design`` all name the same project type."""
    return re.sub(r"[^a-z0-9]+", "_", project_type.strip().lower()).strip("_")


def _section(
    kind: SectionKind, title: str, description: str, *items: TemplateItem
) -> TemplateSection:
    return TemplateSection(kind=kind, title=title, description=description, items=list(items))


def _item(kind: ItemKind, title: str, description: str = "") -> TemplateItem:
    return TemplateItem(kind=kind, title=title, description=description)


def _creds(*platforms: tuple[str, str]) -> list[TemplateCredential]:
    return [TemplateCredential(platform=name, notes=notes) for name, notes in platforms]


_HOSTING = _section(
    "hosting",
    "Hosting and domains",
    "Where the project lives, who pays for it, and when it renews.",
    _item("document", "Hosting plan and renewal date"),
    _item("document", "Domain registrar, DNS records and renewal date"),
)
_DOCS = _section(
    "documentation",
    "Documentation",
    "Everything written down for the client's team.",
    _item("document", "Project summary and final deliverables"),
)


def _template(
    slug: str,
    project_type: str,
    summary: str,
    access: TemplateSection,
    training: TemplateSection,
    credentials: list[TemplateCredential],
    support: tuple[int, list[str], list[str]],
) -> BuiltinTemplate:
    days, included, excluded = support
    support_section = _section(
        "support",
        "Support boundary",
        f"What is covered for {days} days after handover, and what is not.",
    )
    content = TemplateContent(
        scope_summary=summary,
        sections=[access, _HOSTING, training, _DOCS, support_section],
        credentials=credentials,
        support_boundary=SupportBoundary(duration_days=days, included=included, excluded=excluded),
    )
    return BuiltinTemplate(
        f"template_builtin_{slug}", f"{project_type} handover", project_type, content
    )


def _access(*items: TemplateItem) -> TemplateSection:
    return _section(
        "access",
        "Access and credentials",
        "Every login the client now owns. Change shared passwords after handover.",
        *items,
    )


def _training(*items: TemplateItem) -> TemplateSection:
    return _section("training", "Training", "How the client's team runs things day to day.", *items)


BUILTIN_TEMPLATES: tuple[BuiltinTemplate, ...] = (
    _template(
        "web_design",
        "Web Design",
        "Design and build of the website, handed over ready for the client's team to run.",
        _access(_item("link", "Website admin login page")),
        _training(
            _item("training", "Editing pages and menus"),
            _item("training", "Adding blog posts and images"),
        ),
        _creds(
            ("Website admin", "Owner account for the CMS."),
            ("Hosting control panel", ""),
            ("Domain registrar", ""),
        ),
        (
            30,
            ["Fixes to defects in the delivered design and build", "Help with content edits"],
            ["New pages or features", "Third-party plugin failures after updates"],
        ),
    ),
    _template(
        "web_development",
        "Web Development",
        "The application's code, infrastructure and deployment, handed over to the client.",
        _access(_item("link", "Code repository"), _item("link", "Production dashboard")),
        _training(
            _item("training", "Deploying a release"),
            _item("training", "Reading logs and alerts"),
        ),
        _creds(
            ("Code repository", "Transfer ownership to the client's organization."),
            ("Cloud provider", ""),
            ("Error monitoring", ""),
        ),
        (
            60,
            ["Fixes to defects in delivered features", "Answers about the codebase"],
            ["New features", "Infrastructure cost changes", "Upgrades of dependencies"],
        ),
    ),
    _template(
        "branding",
        "Branding",
        "The brand identity and its source files, with the rules for using them.",
        _access(_item("link", "Shared asset folder")),
        _training(_item("training", "Using the brand guidelines")),
        _creds(("Design asset storage", ""), ("Font licences", "Licence holder and seats.")),
        (
            14,
            ["Export of extra file formats", "Questions about the guidelines"],
            ["New brand assets", "Campaign design"],
        ),
    ),
    _template(
        "seo",
        "SEO",
        "The search work done, its reports, and the tools the client keeps.",
        _access(_item("link", "Search Console property"), _item("link", "Analytics property")),
        _training(_item("training", "Reading the monthly search report")),
        _creds(("Google Search Console", ""), ("Analytics", ""), ("Rank tracking tool", "")),
        (
            30,
            ["Questions about the delivered audit and reports"],
            ["Ongoing content writing", "Link building", "Ranking guarantees"],
        ),
    ),
    _template(
        "app",
        "App",
        "The mobile or web app, its store listings and the accounts to publish it.",
        _access(_item("link", "App Store Connect"), _item("link", "Google Play Console")),
        _training(
            _item("training", "Publishing an update"), _item("training", "Reading crash reports")
        ),
        _creds(
            ("Apple developer account", ""),
            ("Google Play developer account", ""),
            ("Backend hosting", ""),
        ),
        (
            60,
            ["Fixes to defects in delivered features", "Help with the first store update"],
            ["New features", "Store policy changes", "New OS version support"],
        ),
    ),
    _template(
        "other",
        GENERIC_TYPE,
        "The project's deliverables, the accounts the client now owns, and what happens next.",
        _access(),
        _training(),
        [],
        (30, ["Fixes to defects in the deliverables"], ["New work outside the original scope"]),
    ),
)

BY_ID = {template.id: template for template in BUILTIN_TEMPLATES}
BY_TYPE = {type_key(template.project_type): template for template in BUILTIN_TEMPLATES}
GENERIC = BY_TYPE[type_key(GENERIC_TYPE)]
