"""The building blocks both handover PDFs share: a branded A4 page in DejaVu Sans, headings,
labelled values, paragraphs and lists. A document is dated by what it shows (never the clock),
so the same content is the same bytes."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final

from fpdf import FPDF

from finite.handover.branding.accent import rgb
from finite.handover.branding.brand import Brand

FONT: Final = "DejaVu"
MONO: Final = "Courier"  # hashes: hex digits only, the core font has them
INK: Final = (31, 35, 40)
MUTED: Final = (87, 96, 106)
LOGO_BOX: Final = (70.0, 14.0)  # mm: the logo fits in it, its proportions kept
_NEXT: Final = {"new_x": "LMARGIN", "new_y": "NEXT"}


@cache
def _font_files() -> tuple[Path, Path]:
    folder = resources.files("finite.handover.pdf").joinpath("fonts")
    return Path(str(folder.joinpath("DejaVuSans.ttf"))), Path(
        str(folder.joinpath("DejaVuSans-Bold.ttf"))
    )


def new_document(title: str, dated: datetime) -> FPDF:
    pdf = FPDF(format="A4")
    regular, bold = _font_files()
    pdf.add_font(FONT, "", regular)
    pdf.add_font(FONT, "B", bold)
    pdf.set_title(title)
    pdf.set_creator("Finite")
    pdf.set_creation_date(dated)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "", 11)
    return pdf


def brand_header(pdf: FPDF, brand: Brand, logo: bytes | None) -> None:
    """The logo (when the brand has one) and the name, over a rule in the accent colour."""
    top = pdf.get_y()
    if logo is not None:
        width, height = brand.logo_fit(*LOGO_BOX)
        pdf.image(io.BytesIO(logo), x=pdf.l_margin, y=top, w=width, h=height)
        pdf.set_y(top + height + 2)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 6, brand.name, **_NEXT)  # type: ignore[arg-type]
    pdf.set_text_color(*INK)
    pdf.set_fill_color(*rgb(brand.accent))
    pdf.rect(pdf.l_margin, pdf.get_y() + 1, pdf.epw, 1.2, style="F")
    pdf.ln(6)


def title(pdf: FPDF, text: str, size: int = 18) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.55, text, **_NEXT)  # type: ignore[arg-type]
    pdf.set_font(FONT, "", 11)


def section(pdf: FPDF, text: str, brand: Brand) -> None:
    """A section's heading, in the accent colour when it reads on white."""
    pdf.ln(3)
    pdf.set_font(FONT, "B", 13)
    pdf.set_text_color(*rgb(brand.accent))
    pdf.multi_cell(0, 7, text, **_NEXT)  # type: ignore[arg-type]
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "", 10)


def label(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, text, **_NEXT)  # type: ignore[arg-type]
    pdf.set_text_color(*INK)


def field(pdf: FPDF, name: str, value: str | None, *, mono: bool = False) -> None:
    """A label and its value ("—" for none)."""
    label(pdf, name)
    if mono:
        pdf.set_font(MONO, "", 10)
    else:
        pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5.5, value or "—", **_NEXT)  # type: ignore[arg-type]
    pdf.ln(1)


def paragraph(pdf: FPDF, text: str, *, size: int = 10, muted: bool = False) -> None:
    pdf.set_font(FONT, "", size)
    if muted:
        pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, size * 0.55, text, **_NEXT)  # type: ignore[arg-type]
    pdf.set_text_color(*INK)


def bullets(pdf: FPDF, entries: list[str]) -> None:
    pdf.set_font(FONT, "", 10)
    for entry in entries:
        pdf.multi_cell(0, 5.5, f"•  {entry}", **_NEXT)  # type: ignore[arg-type]


def rendered(pdf: FPDF) -> bytes:
    return bytes(pdf.output())
