"""Build one surface's OpenAPI 3.1 document from the routes registered on the app.

Litestar generates each operation (parameters, request body, success answer, component schemas)
from the handlers' signatures, return types and `responses=`; a document holds only its own
surface's routes and the components they reference. Then every operation gets the bearer
security requirement, the surface's error answers and its response headers, and what a handler
declared with `hints.documented(...)`. Component names are made plain (`EnvelopeAuthOut`, not
`Envelope_finite.handover.schemas.AuthOut_`) so generated clients get clean class names.

Litestar keeps its document generator in `litestar._openapi` (the public `OpenAPIConfig` would also
mount its own /schema routes); it has been stable across 2.x and the package pins `litestar<3`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.datastructures import OpenAPIContext
from litestar._openapi.path_item import create_path_item_for_route, merge_path_item_operations
from litestar._openapi.schema_generation import SchemaCreator
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import (
    OpenAPIMediaType,
    Operation,
    PathItem,
    Reference,
    RequestBody,
    Schema,
)
from litestar.routes import HTTPRoute
from litestar.types import Method
from litestar.typing import FieldDefinition

from finite import __version__
from finite.platform.openapi_hints import Hints, hints_of

JSON = "application/json"
SECURITY_SCHEME = "bearerAuth"
_BODY_METHODS = frozenset({"post", "put", "patch"})
_SCHEMAS = "#/components/schemas/"
_HEADERS = "#/components/headers/"
_RESPONSES = "#/components/responses/"


@dataclass(frozen=True, slots=True)
class Surface:
    """One of the two APIs: which routes it owns and how its document reads."""

    title: str
    description: str
    owns: Callable[[str], bool]  # given a route's path
    base_path: str  # the server URL's path; stripped from the document's paths
    tag_prefix: str  # stripped from a path before its first segment names the operation's tag
    error_shape: type  # the body of every error answer
    bearer_format: str
    envelope: bool = False  # answers are {data, meta, error}
    # Path parameters documented by a named schema wherever they occur, e.g. CRM's `module`.
    path_params: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # More component schemas, by name (CRM's per-module record schemas).
    extra_schemas: Callable[[], dict[str, dict[str, Any]]] | None = None

    def relative(self, path: str) -> str:
        if not self.base_path:
            return path
        return path[len(self.base_path) :] or "/"


def build_document(app: Litestar, surface: Surface) -> dict[str, Any]:
    """The surface's document, without `servers` (they depend on the caller's base URL)."""
    config = OpenAPIConfig(
        title=surface.title,
        version=__version__,
        description=surface.description,
        use_handler_docstrings=True,
        operation_id_creator=_operation_ids(),
    )
    context = OpenAPIContext(openapi_config=config, plugins=app.plugins.openapi)
    creator = SchemaCreator.from_openapi_context(context, generate_examples=False)
    error_schema = creator.for_field_definition(
        FieldDefinition.from_annotation(surface.error_shape)
    )
    paths: dict[str, PathItem] = {}
    operations: list[tuple[str, str, HTTPRouteHandler]] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not surface.owns(route.path):
            continue
        item = create_path_item_for_route(context, route)
        path = surface.relative(route.path_format)
        found = False
        for http_method, (handler, _) in route.route_handler_map.items():
            operation = getattr(item, http_method.lower(), None)
            if isinstance(operation, Operation):
                found = True
                _add_body(operation, hints_of(handler.opt), creator)
                operations.append((path, http_method.lower(), handler))
        if found:
            known = paths.get(path)
            paths[path] = merge_path_item_operations(known, item, path) if known else item
    openapi = config.to_openapi_schema()
    openapi.servers = []
    openapi.paths = paths
    openapi.components.schemas = context.schema_registry.generate_components_schemas()
    structs = _struct_components(context, openapi.components.schemas)
    document: dict[str, Any] = openapi.to_schema()
    document.pop("servers", None)
    error_ref = _ref_of(error_schema)
    for path, method, handler in operations:
        _finish(document["paths"][path][method], method, path, handler, surface)
    components = document.setdefault("components", {})
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": surface.bearer_format,
            "description": f"An API key: `Authorization: Bearer {surface.bearer_format}`.",
        }
    }
    components["headers"] = copy.deepcopy(HEADERS)
    components["responses"] = _error_responses(error_ref)
    schemas = components.setdefault("schemas", {})
    _apply_struct_metadata(schemas, structs)
    for name, schema in surface.path_params.values():
        schemas[name] = copy.deepcopy(schema)
    if surface.extra_schemas is not None:
        schemas.update(surface.extra_schemas())
    document["security"] = [{SECURITY_SCHEME: []}]
    if surface.envelope:
        _envelopes(schemas)
    _unwrap_single_one_of(document)
    _drop_generated_examples(document)
    return _rename_components(document)


def _struct_components(
    context: OpenAPIContext, components: dict[str, Schema]
) -> dict[str, type[msgspec.Struct]]:
    """Component name (before renaming) → the msgspec Struct its schema was made from."""
    registry = context.schema_registry
    by_schema: dict[int, type[msgspec.Struct]] = {}
    for key, registered in registry._schema_key_map.items():
        annotation = registry._component_type_map[key].annotation
        if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
            by_schema[id(registered.schema)] = annotation
    return {
        name: by_schema[id(schema)]
        for name, schema in components.items()
        if id(schema) in by_schema
    }


def _apply_struct_metadata(
    schemas: dict[str, Any], structs: dict[str, type[msgspec.Struct]]
) -> None:
    """What Litestar leaves out of a Struct's schema. A Struct decoded with
    `forbid_unknown_fields` refuses a property it does not know (400, "is not a known field"):
    `additionalProperties: false`. A field's `msgspec.Meta(extra_json_schema=...)` (a format, a
    pattern, an enum: documentation only, msgspec's own meaning) is merged into its property, and
    a rule across fields is the Struct's `openapi_extra` (a ClassVar), merged into its schema."""
    for name, struct in structs.items():
        schema = schemas.get(name)
        if schema is None:
            continue
        if struct.__struct_config__.forbid_unknown_fields:
            schema["additionalProperties"] = False
        schema.update(copy.deepcopy(getattr(struct, "openapi_extra", None) or {}))
        properties = schema.get("properties", {})
        info = msgspec.inspect.type_info(struct)
        assert isinstance(info, msgspec.inspect.StructType)
        for field_info in info.fields:
            if field_info.encode_name in properties:
                _merge_extras(properties[field_info.encode_name], field_info.type)


def _merge_extras(schema: dict[str, Any], field_type: msgspec.inspect.Type) -> None:
    """A type's `extra_json_schema`, also when optional (`X | None`, `X | UnsetType`) and on a
    list's items (`list[Line]`)."""
    if isinstance(field_type, msgspec.inspect.UnionType):
        for member in field_type.types:
            _merge_extras(schema, member)
    elif isinstance(field_type, msgspec.inspect.Metadata):
        extra = field_type.extra_json_schema or {}
        _merge(schema, {key: value for key, value in extra.items() if key not in _LITESTAR_KEYS})
        _merge_extras(schema, field_type.type)
    elif isinstance(field_type, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        # Litestar drops a bound of 0 (`ge=0`: falsy); the rest it keeps.
        for bound, key in _BOUNDS:
            value = getattr(field_type, bound)
            if value is not None and key not in schema:
                schema[key] = value
    elif isinstance(field_type, msgspec.inspect.ListType):
        items: dict[str, Any] = {}
        _merge_extras(items, field_type.item_type)
        if items:
            _merge(schema, {"items": {**_items_of(schema), **items}})


def _items_of(schema: dict[str, Any]) -> dict[str, Any]:
    """The item schema Litestar gave a list, optional or not (`oneOf: [array, null]`)."""
    if isinstance(schema.get("items"), dict):
        return dict(schema["items"])
    for member in schema.get("oneOf", []):
        if isinstance(member, dict) and isinstance(member.get("items"), dict):
            return dict(member["items"])
    return {}


def _merge(schema: dict[str, Any], extra: dict[str, Any]) -> None:
    """A shape of its own (`anyOf`, `oneOf`, `type`) replaces the one Litestar derived."""
    if not extra:
        return
    if _SHAPE_KEYS & set(extra):
        for key in _SHAPE_KEYS | {"items"}:
            schema.pop(key, None)
    schema.update(copy.deepcopy(extra))


_SHAPE_KEYS = frozenset({"anyOf", "oneOf", "type"})
_BOUNDS = (
    ("ge", "minimum"),
    ("le", "maximum"),
    ("gt", "exclusiveMinimum"),
    ("lt", "exclusiveMaximum"),
)


# Keys of `extra_json_schema` Litestar already reads itself.
_LITESTAR_KEYS = frozenset({"title", "description", "examples", "extra"})


def _operation_ids() -> Callable[[HTTPRouteHandler, Method, list[Any]], str]:
    """The handler's function name (`create_key`); if taken, prefixed with its path's words."""
    used: set[str] = set()

    def create(handler: HTTPRouteHandler, method: Method, components: list[Any]) -> str:
        name = handler.handler_name
        if name in used:
            words = [part if isinstance(part, str) else part.name for part in components]
            name = "_".join([*(re.sub(r"\W+", "_", word) for word in words if word), name])
        candidate, number = name, 2
        while candidate in used:
            candidate, number = f"{name}_{number}", number + 1
        used.add(candidate)
        return candidate

    return create


def _add_body(operation: Operation, hints: Hints, creator: SchemaCreator) -> None:
    if hints.body is None or operation.request_body is not None:
        return
    schema = creator.for_field_definition(FieldDefinition.from_annotation(hints.body))
    operation.request_body = RequestBody(
        content={hints.body_media_type: OpenAPIMediaType(schema=schema)},
        description=hints.body_description,
        required=True,
    )


def _ref_of(schema: Schema | Reference) -> dict[str, Any]:
    rendered: dict[str, Any] = schema.to_schema()
    return rendered


# --- each operation ------------------------------------------------------------------------


_NULL = {"type": "null"}


def _finish(
    operation: dict[str, Any],
    method: str,
    path: str,
    handler: HTTPRouteHandler,
    surface: Surface,
) -> None:
    hints = hints_of(handler.opt)
    operation["tags"] = handler.resolve_tags() or [_tag_of(path, surface.tag_prefix)]
    operation["security"] = [{SECURITY_SCHEME: []}]
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    for parameter in parameters:
        named = surface.path_params.get(parameter.get("name", ""))
        if parameter.get("in") == "path" and named is not None:
            parameter["schema"] = {"$ref": _SCHEMAS + named[0]}
    for param in hints.params:
        parameters.append(
            {
                "name": param.name,
                "in": param.where,
                "description": param.description,
                "required": param.required,
                "schema": param.schema,
            }
        )
    if not parameters:
        del operation["parameters"]
    _optional_body(operation)
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for failure in [code for code in responses if not code.startswith(("1", "2", "3"))]:
        del responses[failure]
    for code, answer in responses.items():
        headers = {**_headers_of(int(code))}
        headers.update(
            {
                h.name: {"description": h.description, "schema": h.schema}
                for h in hints.response_headers
            }
        )
        answer["headers"] = headers
    for status, (name, _) in ERRORS.items():
        if status == 413 and method not in _BODY_METHODS:
            continue
        if status == 415 and "requestBody" not in operation:
            continue
        responses[str(status)] = {"$ref": _RESPONSES + name}


def _optional_body(operation: dict[str, Any]) -> None:
    """`data: JSONBody[X | None] = None` is a body that may be left out (every default), which
    OpenAPI says with `required: false`, not a body that may be `null`."""
    body = operation.get("requestBody")
    if not body:
        return
    for media in body.get("content", {}).values():
        choices = media.get("schema", {}).get("oneOf", [])
        if len(choices) == 2 and _NULL in choices:
            media["schema"] = next(choice for choice in choices if choice != _NULL)
            body["required"] = False


def _tag_of(path: str, prefix: str) -> str:
    """`/api/records/{module}` → `records`, `/api/audit.csv` → `audit`."""
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    parts = [part for part in path.split("/") if part and not part.startswith("{")]
    first = parts[0] if parts else "api"
    return re.sub(r"\.[a-z]+$", "", first)


# Every operation's error answers, shared as components/responses: status → (name, description).
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "ValidationError",
        "VALIDATION_ERROR: the request is not valid; `details` names each field and what is "
        "wrong with it.",
    ),
    401: (
        "Unauthorized",
        "UNAUTHORIZED: the API key is missing, malformed, unknown, expired or revoked.",
    ),
    403: (
        "Forbidden",
        "FORBIDDEN: the key's scope or role does not allow this; PLAN_LIMIT: the plan does not "
        "include it.",
    ),
    404: ("NotFound", "NOT_FOUND: no such resource in the key's organization."),
    409: (
        "Conflict",
        "CONFLICT: the change clashes with the current state (VERSION_CONFLICT: the record "
        "changed since the version sent in If-Match).",
    ),
    413: ("PayloadTooLarge", "PAYLOAD_TOO_LARGE: the request body is over 1 MiB."),
    415: (
        "UnsupportedMediaType",
        "UNSUPPORTED_MEDIA_TYPE: the request has a body that is not sent as JSON "
        "(`Content-Type: application/json` or an `application/*+json` type).",
    ),
    422: (
        "IdempotencyKeyReused",
        "IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was already used for a different request. "
        "BATCH_REJECTED (batch writes): some records of the batch cannot be written, so none "
        "was; `results` holds each failing record's outcome.",
    ),
    429: (
        "RateLimited",
        "RATE_LIMITED: the plan's requests per minute are used up; retry after `Retry-After` "
        "seconds.",
    ),
    500: (
        "Internal",
        "INTERNAL: something failed on the server; quote the X-Request-ID when asking for help.",
    ),
    503: (
        "Unavailable",
        "UNAVAILABLE: the database or the rate-limit store cannot be reached for a moment; "
        "retry after `Retry-After` seconds. Nothing was changed.",
    ),
}


def _error_responses(error_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {
            "description": description,
            "headers": _headers_of(status),
            "content": {JSON: {"schema": error_schema}},
        }
        for status, (name, description) in ERRORS.items()
    }


_RATE_HEADERS = ("RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining")


def _headers_of(status: int) -> dict[str, Any]:
    names = ["X-Request-ID"]
    if status == 401:
        names.append("WWW-Authenticate")
    else:
        names += [*_RATE_HEADERS, "X-RateLimit-Reset"]
    if status in (429, 503):
        names.append("Retry-After")
    return {name: {"$ref": _HEADERS + name} for name in names}


def _header(description: str, schema_type: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": schema_type}}


HEADERS: dict[str, Any] = {
    "X-Request-ID": _header(
        "The request's id: the caller's own X-Request-ID when sane (1-128 of A-Z a-z 0-9 . _ : -), "
        "else a new `req_…`."
    ),
    "WWW-Authenticate": _header("`Bearer`."),
    "RateLimit": _header(
        'Remaining requests and seconds until a slot frees: `"default";r=12;t=34`.'
    ),
    "RateLimit-Policy": _header('The plan\'s limit per window: `"default";q=60;w=60`.'),
    "X-RateLimit-Limit": _header("Requests allowed per minute on the plan.", "integer"),
    "X-RateLimit-Remaining": _header("Requests left in the current minute.", "integer"),
    "X-RateLimit-Reset": _header(
        "Unix time when the oldest counted request leaves the window.", "integer"
    ),
    "Retry-After": _header("Seconds to wait before retrying.", "integer"),
}


# --- the document as a whole -------------------------------------------------------------------


def _envelopes(schemas: dict[str, Any]) -> None:
    """Every envelope always carries all three members, `error` null on success."""
    for schema in schemas.values():
        properties = schema.get("properties", {})
        if set(properties) == {"data", "meta", "error"}:
            schema["required"] = ["data", "error", "meta"]
        if {"request_id", "timestamp"} <= set(properties):  # a meta: its timestamp is ISO 8601
            properties["timestamp"] = {**properties["timestamp"], "format": "date-time"}


def _unwrap_single_one_of(node: Any) -> None:
    """`oneOf` with a single member (what Litestar makes of `X | UnsetType`) is just X."""
    if isinstance(node, dict):
        one_of = node.get("oneOf")
        if isinstance(one_of, list) and len(one_of) == 1 and isinstance(one_of[0], dict):
            del node["oneOf"]
            node.update(one_of[0])
        for value in node.values():
            _unwrap_single_one_of(value)
    elif isinstance(node, list):
        for value in node:
            _unwrap_single_one_of(value)


def _drop_generated_examples(node: Any) -> None:
    """Schema `examples` (lists) come from `ResponseSpec(generate_examples=True)`, Litestar's
    default: random strings that change on every build and leak into shared components. A
    response's own `examples` (a mapping of named Example objects) stay."""
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list):
            del node["examples"]
        for value in node.values():
            _drop_generated_examples(value)
    elif isinstance(node, list):
        for value in node:
            _drop_generated_examples(value)


def plain_name(key: str, title: str | None = None) -> str:
    """A schema's title (Litestar's `Envelope[list[KeyOut]]`) as a class name:
    `EnvelopeListKeyOut`; without a title the last part of the key."""
    source = title or key.rsplit(".", 1)[-1]
    words = [word for word in re.split(r"[^A-Za-z0-9]+", source) if word]
    return "".join(word[0].upper() + word[1:] for word in words) or "Schema"


def _rename_components(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for key, schema in schemas.items():
        title = schema.get("title")
        name = plain_name(key, title if isinstance(title, str) else None)
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name}{number}", number + 1
        taken.add(candidate)
        renamed[key] = candidate
    new_schemas = {}
    for key, schema in schemas.items():
        if renamed[key] != key and "title" in schema:
            schema["title"] = renamed[key]
        new_schemas[renamed[key]] = schema
    if schemas:
        document["components"]["schemas"] = dict(sorted(new_schemas.items()))
    refs = {_SCHEMAS + old: _SCHEMAS + new for old, new in renamed.items()}
    _rewrite_refs(document, refs)
    return document


def _rewrite_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, refs)
