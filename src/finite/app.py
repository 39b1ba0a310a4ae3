"""create_app(): the ASGI application serving both surfaces."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from finite.config import Settings, load_settings
from finite.console.routes import CONSOLE_ROUTER
from finite.crm.imports.runner import RUNNER, import_runner
from finite.crm.records.count_folder import COUNT_FOLDER, count_folder
from finite.crm.routes import CRM_ROUTER
from finite.handover.routes import CLIENT_PAGE_ROUTER, HANDOVER_ROUTER
from finite.kit.errors import AppError
from finite.openapi.endpoints import OPENAPI_HANDLERS
from finite.platform.audit_hook import audit_api_calls
from finite.platform.errors import handle_app_error, handle_http_exception, handle_unexpected
from finite.platform.health import healthz, readyz
from finite.platform.heap_freeze import freeze_startup_heap
from finite.platform.logs import configure_logging
from finite.platform.metrics import metrics_endpoint
from finite.platform.options_answers import answer_every_method
from finite.platform.rate_limits import add_rate_limit_headers
from finite.platform.request_bodies import JsonBodyRequest
from finite.platform.request_checks import check_request
from finite.platform.request_id import add_request_id_header
from finite.platform.request_metrics import RequestMetrics
from finite.platform.state import Platform
from finite.platform.trusted_proxies import proxy_header_middleware

MAX_BODY_BYTES = 1024 * 1024


def create_served_app() -> Litestar:
    """The app as `finite serve` runs it in each worker: its startup heap frozen once the
    platform has started (platform/heap_freeze.py). Not create_app's default, since a process
    that builds many apps (the tests) would keep every one."""
    app = create_app()
    app.on_startup.append(freeze_startup_heap)
    return app


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    platform = Platform.build(settings)
    platform.worker_factories[RUNNER] = import_runner
    platform.upkeep_factories[COUNT_FOLDER] = count_folder
    app = Litestar(
        route_handlers=[
            healthz,
            readyz,
            metrics_endpoint,
            *OPENAPI_HANDLERS,
            CRM_ROUTER,
            HANDOVER_ROUTER,
            CLIENT_PAGE_ROUTER,
            CONSOLE_ROUTER,
        ],
        exception_handlers={
            AppError: handle_app_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        before_request=check_request,
        before_send=[add_request_id_header, add_rate_limit_headers, audit_api_calls],
        middleware=proxy_header_middleware(settings.trusted_proxies),
        request_max_body_size=MAX_BODY_BYTES,
        request_class=JsonBodyRequest,  # every JSON body: its type, syntax and nesting checked
        openapi_config=None,  # the documents are finite.openapi's
        logging_config=None,  # configure_logging() owns the process-wide setup
        on_startup=[platform.start],
        on_shutdown=[platform.close],
        state=State({"platform": platform}),
        debug=False,
    )
    answer_every_method(app)
    # Outermost, inside Litestar's entry: unknown paths are counted too, and the request id is
    # set for every log line the request causes.
    app.asgi_handler = RequestMetrics(app.asgi_handler)
    return app
