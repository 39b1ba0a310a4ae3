"""Logos for the branding tests, made with Pillow; as the API takes them."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

# The SVG a hostile admin (or a stolen admin key) might upload.
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)


def image(kind: str = "PNG", size: tuple[int, int] = (120, 40), colour: str = "#ff5500") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    return out.getvalue()


def logo(data: bytes, content_type: str = "image/png") -> dict[str, Any]:
    return {"contentType": content_type, "data": base64.b64encode(data).decode()}
