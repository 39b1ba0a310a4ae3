"""Every API route of both surfaces, read from the app's own route table, with what it declares
(a CRM permission or a handover scope) and its path filled in from chosen values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute

from finite.crm.auth import PERMISSION
from finite.handover.auth import SCOPE
from finite.handover.envelope import is_handover_path
from finite.openapi.endpoints import PUBLIC_PATHS
from finite.platform.openapi_hints import hints_of

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# Path parameters that name something an organization owns, by its id (or key).
TENANT_PARAMS = frozenset(
    {
        "record_id",
        "key_id",
        "key",
        "webhook_id",
        "delivery_id",
        "client_id",
        "project_id",
        "credential_id",
        "item_id",
        "template_id",
        "hook_id",
        "job_id",
    }
)
# Path parameters that name something every organization has under the same name.
SHARED_NAMES = {"module": "leads", "filename": "leads.csv", "role": "Standard"}

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template, e.g. /api/v1/clients/{client_id:str}
    opt: dict[str, Any]
    takes_body: bool = False  # reads a JSON body (a `data` parameter or a documented one)

    @property
    def handover(self) -> bool:
        return is_handover_path(self.path)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def openapi_path(self) -> str:
        """The path as the OpenAPI documents write it: ``{client_id}``."""
        return _PARAM.sub(r"{\1}", self.path)

    @property
    def tenant_params(self) -> tuple[str, ...]:
        return tuple(name for name in self.params if name in TENANT_PARAMS)

    @property
    def declared(self) -> object:
        return self.opt.get(SCOPE if self.handover else PERMISSION)

    def id_name(self, param: str) -> str:
        """The world's name for the id this route's `param` takes."""
        if param == "key_id":
            return "handover_key_id" if self.handover else "crm_key_id"
        if param in ("webhook_id", "delivery_id") and self.handover:  # the handover's own
            return f"handover_{param}"
        if param == "project_id" and "/signoff" in self.path:
            return "signed_project_id"  # the project that has a sign-off to find
        return param

    def fill(self, values: dict[str, str]) -> str:
        """The path with each parameter replaced by `values[the world's name for it]`, the
        shared names by their defaults."""

        def value(match: re.Match[str]) -> str:
            param = match.group(1)
            name = self.id_name(param)
            if name in values:
                return values[name]
            return values.get(param, SHARED_NAMES.get(param, ""))

        return _PARAM.sub(value, self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_routes(app: Litestar) -> list[Route]:
    """Every method of every path of both APIs that needs a key (Litestar's OPTIONS aside)."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path in PUBLIC_PATHS:
            continue
        if not route.path.startswith("/api/"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method in ("OPTIONS", "HEAD"):
                continue
            hints = hints_of(handler.opt)
            takes_body = method in BODY_METHODS and (
                "data" in handler.parsed_fn_signature.parameters
                or (hints.body is not None and hints.body_media_type == "application/json")
            )
            found.append(Route(method, route.path, dict(handler.opt), takes_body))
    return sorted(found, key=str)
