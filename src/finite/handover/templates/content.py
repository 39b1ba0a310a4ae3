"""Check and tidy a template's content; errors name every bad field by its JSON path."""

from __future__ import annotations

from finite.handover import inputs
from finite.handover.templates.schemas import (
    SupportBoundary,
    TemplateContent,
    TemplateCredential,
    TemplateItem,
    TemplateSection,
)
from finite.kit.errors import Problems


def clean_content(
    scope_summary: str,
    sections: list[TemplateSection],
    credentials: list[TemplateCredential],
    support: SupportBoundary,
    problems: Problems,
) -> TemplateContent:
    """Bad fields go to `problems`; the caller raises them with its own."""
    return TemplateContent(
        scope_summary=problems.clean(inputs.text, "scopeSummary", scope_summary),
        sections=[clean_section(f"sections[{i}]", s, problems) for i, s in enumerate(sections)],
        credentials=[
            clean_credential(f"credentials[{i}]", c, problems) for i, c in enumerate(credentials)
        ],
        support_boundary=clean_support(support, problems),
    )


def clean_section(path: str, section: TemplateSection, problems: Problems) -> TemplateSection:
    return TemplateSection(
        kind=section.kind,
        title=problems.clean(inputs.title, f"{path}.title", section.title),
        description=problems.clean(inputs.text, f"{path}.description", section.description),
        items=[
            clean_item(f"{path}.items[{i}]", item, problems) for i, item in enumerate(section.items)
        ],
    )


def clean_item(path: str, item: TemplateItem, problems: Problems) -> TemplateItem:
    return TemplateItem(
        kind=item.kind,
        title=problems.clean(inputs.title, f"{path}.title", item.title),
        url=problems.clean(inputs.url, f"{path}.url", item.url),
        description=problems.clean(inputs.text, f"{path}.description", item.description),
    )


def clean_credential(
    path: str, credential: TemplateCredential, problems: Problems
) -> TemplateCredential:
    return TemplateCredential(
        platform=problems.clean(inputs.title, f"{path}.platform", credential.platform),
        url=problems.clean(inputs.url, f"{path}.url", credential.url),
        notes=problems.clean(inputs.text, f"{path}.notes", credential.notes),
    )


def clean_support(support: SupportBoundary, problems: Problems) -> SupportBoundary:
    return SupportBoundary(
        duration_days=support.duration_days,
        included=problems.clean(inputs.lines, "supportBoundary.included", support.included),
        excluded=problems.clean(inputs.lines, "supportBoundary.excluded", support.excluded),
    )
