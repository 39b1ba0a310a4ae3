"""Every bad field of a JSON body, not only the first one msgspec stops at.

When a handler's `data` Struct refuses the body, Litestar reports the first problem it met. Here
each field of the body is checked on its own against its declared type (nested objects and list
items too), so the answer lists every missing, unknown or ill-typed field with its reason.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from finite.kit.errors import ErrorDetail
from finite.platform.http import AnyRequest
from finite.platform.validation_messages import field_and_reason

DecHook = Callable[[type, Any], Any]
_ABSENT = (type(None), msgspec.UnsetType)


def body_problems(request: AnyRequest) -> list[ErrorDetail]:
    """Every problem of the request's JSON body against its handler's `data` Struct; empty
    when the body was not read as JSON, is not an object, or its type is not a Struct."""
    try:
        definition = request.route_handler.parsed_fn_signature.parameters.get("data")
    except (AttributeError, KeyError):  # no handler (404, 405)
        return []
    # Litestar keeps the decoded body in the scope (an internal API: when it moves, the answer
    # falls back to Litestar's first problem).
    raw = getattr(ScopeState.from_scope(request.scope), "json", Empty)
    if definition is None or raw is Empty or not isinstance(raw, dict):
        return []
    struct = _struct_in(definition.annotation, raw)
    if struct is None:
        return []
    problems: list[ErrorDetail] = []
    _check_struct(raw, struct, "", problems, request.route_handler.default_deserializer)
    return problems


def _check(value: Any, annotation: Any, path: str, out: list[ErrorDetail], hook: DecHook) -> None:
    try:
        msgspec.convert(value, type=annotation, strict=False, dec_hook=hook, str_keys=True)
        return
    except msgspec.ValidationError as refused:
        failure = refused
    found = len(out)
    struct = _struct_in(annotation, value)
    item = _item_type(annotation) if isinstance(value, list) else None
    if struct is not None and isinstance(value, dict):
        _check_struct(value, struct, path, out, hook)
    elif item is not None and isinstance(value, list):
        for index, entry in enumerate(value):
            _check(entry, item, f"{path}[{index}]", out, hook)
    if len(out) == found:  # the value as a whole (its length, a rule across its fields, …)
        field, reason = field_and_reason(str(failure))
        out.append(ErrorDetail(_join(path, field or "") or None, reason))


def _check_struct(
    raw: dict[str, Any],
    struct: type[msgspec.Struct],
    path: str,
    out: list[ErrorDetail],
    hook: DecHook,
) -> None:
    fields = msgspec.structs.fields(struct)
    if struct.__struct_config__.forbid_unknown_fields:
        known = {field.encode_name for field in fields}
        out.extend(
            ErrorDetail(_join(path, key), "is not a known field") for key in raw if key not in known
        )
    for field in fields:
        where = _join(path, field.encode_name)
        if field.encode_name in raw:
            _check(raw[field.encode_name], field.type, where, out, hook)
        elif field.required:
            out.append(ErrorDetail(where, "is required"))


def _members(annotation: Any) -> list[Any]:
    """The types a value may take, without Annotated wrappers, None and UNSET."""
    if get_origin(annotation) is Annotated:
        return _members(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [] if annotation in _ABSENT else [annotation]


def _struct_in(annotation: Any, value: Any) -> type[msgspec.Struct] | None:
    if not isinstance(value, dict):
        return None
    structs = [
        m for m in _members(annotation) if isinstance(m, type) and issubclass(m, msgspec.Struct)
    ]
    return structs[0] if len(structs) == 1 else None


def _item_type(annotation: Any) -> Any:
    lists = [m for m in _members(annotation) if get_origin(m) in (list, tuple, set, frozenset)]
    if len(lists) != 1:
        return None
    args = get_args(lists[0])
    if get_origin(lists[0]) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return None  # a fixed-length tuple: checked as a whole
    return args[0] if args else None


def _join(parent: str, child: str) -> str:
    if not parent or not child:
        return parent or child
    return f"{parent}{child}" if child.startswith("[") else f"{parent}.{child}"
