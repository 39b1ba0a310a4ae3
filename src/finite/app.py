"""create_app(): the ASGI application serving both surfaces."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException

from finite.config import Settings, load_settings
from finite.crm import account_endpoints as crm_accounts
from finite.crm import audit_endpoints as crm_audit
from finite.crm import history_endpoints as crm_history
from finite.crm import roles_endpoints as crm_roles
from finite.crm.auth import crm_principal
from finite.crm.export import endpoints as crm_export
from finite.crm.fields import endpoints as crm_fields
from finite.crm.records import endpoints as crm_records
from finite.crm.webhooks import endpoints as crm_webhooks
from finite.handover.auth import handover_principal, scope_guard
from finite.handover.routes import HANDOVER_ROUTES
from finite.kit.errors import AppError
from finite.openapi.endpoints import OPENAPI_HANDLERS
from finite.platform.audit_hook import audit_api_calls
from finite.platform.errors import handle_app_error, handle_http_exception, handle_unexpected
from finite.platform.health import healthz, readyz
from finite.platform.heap_freeze import freeze_startup_heap
from finite.platform.logs import configure_logging
from finite.platform.rate_limits import add_rate_limit_headers
from finite.platform.request_id import add_request_id_header
from finite.platform.state import Platform

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
    configure_logging(settings.log_level)
    platform = Platform.build(settings)
    crm = Router(
        "/api",
        route_handlers=[
            crm_accounts.me,
            crm_accounts.list_keys,
            crm_accounts.create_key,
            crm_accounts.revoke_key,
            crm_records.create_record,
            crm_records.get_record,
            crm_records.update_record,
            crm_records.delete_record,
            crm_records.list_records,
            crm_history.record_history,
            crm_fields.list_modules,
            crm_fields.describe,
            crm_fields.add_field,
            crm_fields.remove_field,
            crm_export.export_csv,
            crm_roles.list_roles,
            crm_roles.update_role,
            crm_audit.list_audit,
            crm_audit.export_audit,
            *crm_webhooks.ROUTES,
        ],
        dependencies={"principal": Provide(crm_principal)},
    )
    handover = Router(
        "/api/v1",
        route_handlers=HANDOVER_ROUTES,
        dependencies={"principal": Provide(handover_principal)},
        guards=[scope_guard],
    )
    return Litestar(
        route_handlers=[healthz, readyz, *OPENAPI_HANDLERS, crm, handover],
        exception_handlers={
            AppError: handle_app_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
        before_send=[add_request_id_header, add_rate_limit_headers, audit_api_calls],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=None,  # the documents are finite.openapi's
        logging_config=None,  # configure_logging() owns the process-wide setup
        on_startup=[platform.start],
        on_shutdown=[platform.close],
        state=State({"platform": platform}),
        debug=False,
    )
