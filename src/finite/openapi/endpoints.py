"""GET /api/openapi.json, /api/v1/openapi.json and the docs pages /api/docs, /api/v1/docs.

Public: registered on the app, outside the two authenticated routers. Each document is built from
the app's routes on first use and kept; only `servers` follows the caller's base URL.
"""

from __future__ import annotations

import html
from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from finite.core.audit.context import mark_written
from finite.crm.module_names import CRM_MODULES
from finite.crm.openapi_shapes import Error
from finite.handover.envelope import ErrorEnvelope, is_handover_path
from finite.openapi.assets import ASSETS_ROUTE, INIT_JS, asset_url, docs_asset
from finite.openapi.crm_modules import module_schemas
from finite.openapi.document import Surface, build_document
from finite.platform.http import AnyRequest

CRM_JSON, CRM_DOCS = "/api/openapi.json", "/api/docs"
HANDOVER_JSON, HANDOVER_DOCS = "/api/v1/openapi.json", "/api/v1/docs"
PUBLIC_PATHS = frozenset(  # need no key
    {CRM_JSON, CRM_DOCS, HANDOVER_JSON, HANDOVER_DOCS, ASSETS_ROUTE}
)

_ERROR_CODES = (
    "UNAUTHORIZED 401, FORBIDDEN 403, PLAN_LIMIT 403, NOT_FOUND 404, CONFLICT and "
    "VERSION_CONFLICT 409, VALIDATION_ERROR 400, PAYLOAD_TOO_LARGE 413, "
    "UNSUPPORTED_MEDIA_TYPE 415, "
    "IDEMPOTENCY_KEY_REUSED 422, RATE_LIMITED 429, "
    "INTERNAL 500, UNAVAILABLE 503"
)


def _is_crm_path(path: str) -> bool:
    return (path == "/api" or path.startswith("/api/")) and not is_handover_path(path)


HANDOVER = Surface(
    title="Finite Handover API",
    description=(
        "Projects, clients, handover packs, templates and sign-offs.\n\n"
        "Every request sends `Authorization: Bearer fz_live_…`, a key created under Settings → "
        "Security. Scopes: `read` (list and inspect), `write` (create projects, send packs), "
        "`admin` (keys and broader workflows). Check a key with `GET /auth`.\n\n"
        "Every answer is the envelope `{data, meta: {request_id, timestamp}, error}`: on "
        "success `error` is null; on failure `data` is null and `error` is "
        f"`{{code, message, details}}`. Codes: {_ERROR_CODES}.\n\n"
        "Every response carries `X-Request-ID`: quote it when asking for help. Requests per "
        "minute follow the plan (`RateLimit`, `X-RateLimit-*` headers; `Retry-After` on 429)."
    ),
    owns=is_handover_path,
    base_path="/api/v1",
    tag_prefix="",
    error_shape=ErrorEnvelope,
    bearer_format="fz_live_…",
    envelope=True,
)

CRM = Surface(
    title="Finite CRM API",
    description=(
        "Records of 21 CRM modules, their fields, roles, keys and the audit log.\n\n"
        "Every request sends `Authorization: Bearer fsk_…`; a key acts inside its organization "
        "with its member's current role.\n\n"
        'Failures answer `{"error": message, "code": CODE, "details": [{"field", "message"}], '
        f'"request_id"}}`. Codes: {_ERROR_CODES}.\n\n'
        "Every response carries `X-Request-ID`. Requests per minute follow the plan "
        "(`RateLimit`, `X-RateLimit-*` headers; `Retry-After` on 429)."
    ),
    owns=_is_crm_path,
    base_path="",
    tag_prefix="/api",
    error_shape=Error,
    bearer_format="fsk_…",
    extra_schemas=module_schemas,
    path_params={
        "module": (
            "ModuleName",
            {
                "type": "string",
                "enum": list(CRM_MODULES),
                "description": "A CRM module, as in GET /api/modules.",
            },
        )
    },
)

_STATE_KEY = "finite_openapi_documents"


def _document(request: AnyRequest, surface: Surface) -> dict[str, Any]:
    state: State = request.app.state
    cache: dict[str, dict[str, Any]] = state.setdefault(_STATE_KEY, {})
    document = cache.get(surface.title)
    if document is None:
        document = cache[surface.title] = build_document(request.app, surface)
    return document


def _document_response(request: AnyRequest, surface: Surface) -> Response[bytes]:
    mark_written(request.scope)  # public documentation, not a call of any organization's API
    document = _document(request, surface)
    server = str(request.base_url).rstrip("/") + surface.base_path
    body = {
        "openapi": document["openapi"],
        "info": document["info"],
        "servers": [{"url": server}],
        **document,
    }
    return Response(msgspec.json.encode(body), media_type="application/json")


def _docs_page(request: AnyRequest, surface: Surface, json_path: str) -> Response[str]:
    mark_written(request.scope)
    page = (
        _PAGE.replace("__TITLE__", html.escape(surface.title))
        .replace("__JSON__", html.escape(json_path))
        .replace("__ASSETS__", html.escape(asset_url("")))
    )
    return Response(page, media_type="text/html")


@get(HANDOVER_JSON, include_in_schema=False, sync_to_thread=True)  # the first build takes a while
def handover_openapi(request: AnyRequest) -> Response[bytes]:
    return _document_response(request, HANDOVER)


@get(CRM_JSON, include_in_schema=False, sync_to_thread=True)  # the first build takes a while
def crm_openapi(request: AnyRequest) -> Response[bytes]:
    return _document_response(request, CRM)


@get(HANDOVER_DOCS, include_in_schema=False, sync_to_thread=False)
def handover_docs(request: AnyRequest) -> Response[str]:
    return _docs_page(request, HANDOVER, HANDOVER_JSON)


@get(CRM_DOCS, include_in_schema=False, sync_to_thread=False)
def crm_docs(request: AnyRequest) -> Response[str]:
    return _docs_page(request, CRM, CRM_JSON)


OPENAPI_HANDLERS = [handover_openapi, crm_openapi, handover_docs, crm_docs, docs_asset]

# Every file the page loads comes from this server (openapi/assets.py), none from a public CDN.
_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<link rel="icon" type="image/png" href="__ASSETS__favicon-32x32.png">
<link rel="stylesheet" href="__ASSETS__swagger-ui.css">
</head>
<body>
<header style="font-family: sans-serif; margin: 1rem 2rem">
<h1>__TITLE__</h1>
<p>OpenAPI document: <a href="__JSON__">__JSON__</a>. Import it into Postman or Insomnia,
or generate a client from it.</p>
</header>
<div id="swagger-ui" data-document="__JSON__"></div>
<script src="__ASSETS__swagger-ui-bundle.js"></script>
<script src="__ASSETS__{INIT_JS}"></script>
</body>
</html>
"""
