"""OPTIONS answers that list every method of their path.

Litestar adds one OPTIONS handler per path when the path's first handler is registered, and that
handler lists the methods of the route object it was made for. Routers register their handlers
one at a time and are registered again in their parent router and the app, each time making a
new route object with more handlers and keeping the first OPTIONS handler, so its `Allow` header
named only the methods known at that moment (`GET, OPTIONS` on a path that also serves POST).
"""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute

_LITESTARS_OPTIONS = "HTTPRoute.create_options_handler.<locals>.options_handler"


def answer_every_method(app: Litestar) -> None:
    """Point each path's own OPTIONS answer at the app's final route for that path."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        handler, _ = route.route_handler_map["OPTIONS"]
        answer = handler.fn
        if getattr(answer, "__qualname__", "") != _LITESTARS_OPTIONS:
            continue  # a path that declares its own OPTIONS handler answers for itself
        (route_cell,) = answer.__closure__ or ()  # the `self` the answer reads `methods` from
        route_cell.cell_contents = route
