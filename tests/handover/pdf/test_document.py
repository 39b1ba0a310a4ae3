"""The shared PDF building blocks print names in any Latin, Greek or Cyrillic script (DejaVu
Sans, bundled with its licence); a character the font lacks (CJK) is left out, never an error."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from importlib import resources

from PIL import Image
from pypdf import PdfReader

from finite.handover.branding.brand import Brand
from finite.handover.pdf import document
from tests.handover.factories import pdf_text

DATED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_the_fonts_and_their_licence_ship_in_the_package() -> None:
    fonts = resources.files("finite.handover.pdf").joinpath("fonts")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"):
        assert fonts.joinpath(name).is_file(), name
    assert "Bitstream" in fonts.joinpath("LICENSE").read_text()


def test_names_in_many_scripts_are_printed_as_written() -> None:
    names = [
        "Zoë Łukasiewicz",
        "Ελένη Παπαδοπούλου",
        "Дмитрий Шостакович",
        "Ça\u011fr\u0131 Øster-Ålund",
    ]
    pdf = document.new_document("Unicode — ✓", DATED)
    document.brand_header(pdf, Brand("Šťastný Studio"), None)
    document.title(pdf, names[0])
    for name in names[1:]:
        document.field(pdf, "Name", name)
    document.bullets(pdf, ["東京 office"])  # no glyphs in DejaVu Sans: dropped, not an error
    text = pdf_text(document.rendered(pdf))
    for name in [*names, "Šťastný Studio", "office"]:
        assert name in text, name


def test_the_same_content_is_the_same_bytes() -> None:
    def made() -> bytes:
        pdf = document.new_document("Same", DATED)
        document.paragraph(pdf, "Zoë")
        return document.rendered(pdf)

    assert made() == made()


def test_a_logo_keeps_its_proportions_within_the_header() -> None:
    """A long, flat logo (2000 by 10 pixels) is shown 70 mm wide at most, never off the page."""
    drawn = {}
    for size in ((2000, 10), (100, 100)):
        png = io.BytesIO()
        Image.new("RGB", size, "#123456").save(png, format="PNG")
        pdf = document.new_document("Logo", DATED)
        document.brand_header(pdf, Brand("Logo Co", logo_pixels=size), png.getvalue())
        page = PdfReader(io.BytesIO(document.rendered(pdf))).pages[0].get_contents()
        assert page is not None
        found = re.search(rb"q ([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /I", page.get_data())
        assert found is not None
        drawn[size] = (float(found.group(1)), float(found.group(2)))
    millimetre = 72 / 25.4
    wide, square = drawn[(2000, 10)], drawn[(100, 100)]
    assert abs(wide[0] - 70 * millimetre) < 0.5
    assert abs(wide[0] / wide[1] - 200) < 1
    assert abs(square[0] - 14 * millimetre) < 0.5
    assert abs(square[0] - square[1]) < 0.1
