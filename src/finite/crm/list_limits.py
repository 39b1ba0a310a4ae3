"""Bounds of a record list's query parameters: the query grammar enforces them and the OpenAPI
shapes (crm/openapi_shapes.py) state them, so both read them here."""

from __future__ import annotations

MAX_PER_PAGE = 200
MAX_PAGE = 999_999_999  # nine digits
MAX_QUERY_LENGTH = 200  # characters of `q`
