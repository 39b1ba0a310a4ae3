"""A logo as the API takes it: base64 PNG or JPEG data, at most 512 KiB and 2000 pixels a side.
The type is read from the data itself (its magic bytes, then Pillow decodes it whole), never
trusted from `contentType`; SVG is refused, since an SVG can carry scripts."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image

from finite.kit.errors import Problems

MAX_BYTES: Final = 512 * 1024
MAX_SIDE: Final = 2000  # pixels, either side
MAX_BASE64: Final = (MAX_BYTES + 2) // 3 * 4
TYPES: Final = {"image/png": "PNG", "image/jpeg": "JPEG"}
_NAMES: Final = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SIGNATURES: Final = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))


@dataclass(frozen=True, slots=True)
class Logo:
    content_type: str
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _sniffed(data: bytes) -> str | None:
    """PNG or JPEG by the file's first bytes, whatever it claims to be."""
    return next((kind for signature, kind in _SIGNATURES if data.startswith(signature)), None)


def _decoded(problems: Problems, field: str, text: str) -> bytes | None:
    compact = "".join(text.split())  # line-wrapped base64 (`base64` wraps at 76) is fine
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        problems.add(field, "must be the image's bytes in base64 (standard alphabet, padded)")
        return None
    if not data:
        problems.add(field, "must not be empty")
        return None
    if len(data) > MAX_BYTES:
        problems.add(
            field, f"is {len(data)} bytes; a logo may be at most {MAX_BYTES} bytes (512 KiB)"
        )
        return None
    return data


def _size(data: bytes, kind: str) -> tuple[int, int] | None:
    """The image's width and height once Pillow has decoded all of it, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                if width > MAX_SIDE or height > MAX_SIDE:
                    return width, height  # refused by the caller before decoding it
                image.load()
                return width, height
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return None


def checked_logo(problems: Problems, prefix: str, content_type: str, text: str) -> Logo | None:
    """The logo, or None with every problem added (`prefix.contentType`, `prefix.data`)."""
    type_field, data_field = f"{prefix}.contentType", f"{prefix}.data"
    claimed = content_type.strip().lower()
    if claimed == "image/svg+xml":
        problems.add(type_field, "SVG is not accepted (it can carry scripts): send a PNG or JPEG")
    elif claimed not in TYPES:
        problems.add(type_field, "must be image/png or image/jpeg")
    data = _decoded(problems, data_field, text)
    if data is None:
        return None
    kind = _sniffed(data)
    if kind is None:
        problems.add(data_field, "is not a PNG or JPEG image")
        return None
    if claimed in TYPES and TYPES[claimed] != kind:
        problems.add(type_field, f"does not match the data, which is a {kind} image")
        return None
    size = _size(data, kind)
    if size is None:
        problems.add(data_field, f"is not a readable {kind} image")
        return None
    width, height = size
    if width > MAX_SIDE or height > MAX_SIDE:
        problems.add(
            data_field,
            f"is {width} by {height} pixels; a logo may be at most {MAX_SIDE} pixels a side",
        )
        return None
    if claimed not in TYPES:
        return None
    return Logo(content_type=_NAMES[kind], data=data, width=width, height=height)
