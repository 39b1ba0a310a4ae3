"""docs/crm-modules.md, rendered from the registry (a test keeps the file in step with it).

python -m finite.crm.modules.markdown > docs/crm-modules.md
"""

from __future__ import annotations

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field
from finite.crm.modules.line_fields import LINE_FIELDS


def _describe(field: Field) -> str:
    kind = field.kind.doc_type(field)
    notes = []
    if field.required:
        notes.append("**required**")
    if field.computed:
        notes.append("computed")
    if field.default is not None:
        notes.append(f"default `{field.default}`")
    if field.options:
        notes.append("one of " + ", ".join(f"`{option}`" for option in field.options))
    notes += field.kind.doc_notes(field)
    return f"| `{field.key}` | {field.label} | {kind} | {'; '.join(notes)} |"


def render() -> str:
    lines = [
        "# CRM modules and fields",
        "",
        "Generated from the module registry (`python -m finite.crm.modules.markdown`).",
        "Every record also has `id`, `version`, `created_at`, `updated_at`, `created_by` and",
        "`owner`, and an organization's custom fields (`cf_…`). `GET /api/modules/{module}`",
        "gives the same description, custom fields included, as JSON.",
        "",
    ]
    for module in MODULES.values():
        lines += [f"## {module.label} (`{module.name}`)", ""]
        lines += ["| key | label | type | notes |", "|---|---|---|---|"]
        lines += [_describe(field) for field in module.fields]
        lines.append("")
        if module.line_items:
            lines += ["Each entry of `items`:", ""]
            lines += ["| key | label | type | notes |", "|---|---|---|---|"]
            lines += [_describe(field) for field in LINE_FIELDS]
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
