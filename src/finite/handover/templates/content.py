"""Check and tidy a template's content; errors name the field by its JSON path."""

from __future__ import annotations

from finite.handover import inputs
from finite.handover.templates.schemas import (
    SupportBoundary,
    TemplateContent,
    TemplateCredential,
    TemplateItem,
    TemplateSection,
)


def clean_content(
    scope_summary: str,
    sections: list[TemplateSection],
    credentials: list[TemplateCredential],
    support: SupportBoundary,
) -> TemplateContent:
    return TemplateContent(
        scope_summary=inputs.text("scopeSummary", scope_summary),
        sections=[clean_section(f"sections[{i}]", s) for i, s in enumerate(sections)],
        credentials=[clean_credential(f"credentials[{i}]", c) for i, c in enumerate(credentials)],
        support_boundary=clean_support(support),
    )


def clean_section(path: str, section: TemplateSection) -> TemplateSection:
    return TemplateSection(
        kind=section.kind,
        title=inputs.title(f"{path}.title", section.title),
        description=inputs.text(f"{path}.description", section.description),
        items=[clean_item(f"{path}.items[{i}]", item) for i, item in enumerate(section.items)],
    )


def clean_item(path: str, item: TemplateItem) -> TemplateItem:
    return TemplateItem(
        kind=item.kind,
        title=inputs.title(f"{path}.title", item.title),
        url=inputs.url(f"{path}.url", item.url),
        description=inputs.text(f"{path}.description", item.description),
    )


def clean_credential(path: str, credential: TemplateCredential) -> TemplateCredential:
    return TemplateCredential(
        platform=inputs.title(f"{path}.platform", credential.platform),
        url=inputs.url(f"{path}.url", credential.url),
        notes=inputs.text(f"{path}.notes", credential.notes),
    )


def clean_support(support: SupportBoundary) -> SupportBoundary:
    return SupportBoundary(
        duration_days=support.duration_days,
        included=inputs.lines("supportBoundary.included", support.included),
        excluded=inputs.lines("supportBoundary.excluded", support.excluded),
    )
