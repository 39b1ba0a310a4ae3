"""An http:// or https:// URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from finite.crm.modules.kinds.base import InvalidValue, SampleMaker
from finite.crm.modules.kinds.textual import TextualKind, clean_text

if TYPE_CHECKING:
    from finite.crm.modules.fields import Field


class Url(TextualKind):
    name = "url"
    order = 50
    max_length = 2048
    openapi_format = "uri"

    def convert(self, spec: Field, value: Any) -> Any:
        text = clean_text(spec, value)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            raise InvalidValue("must be an http:// or https:// URL")
        return text

    def sample(self, spec: Field) -> SampleMaker | None:
        return lambda i, rng, who: f"https://example.com/{i}"
