"""CRM surface: /api/import — CSV import jobs: upload a file, follow the job, read its report."""

from __future__ import annotations

import re
from typing import Any

from litestar import Response, Router, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.crm.auth import AUDIT, PERMISSION, ModuleAction, module_of_csv
from finite.crm.fields.service import load_schema
from finite.crm.http import json_answer
from finite.crm.imports import repository, service
from finite.crm.imports.runner import nudge_imports
from finite.crm.imports.schemas import ImportJobPage, ImportJobView
from finite.crm.imports.upload import store_upload
from finite.crm.openapi_shapes import csv_answer
from finite.kit.errors import ErrorDetail, forbidden, invalid_field, validation_error
from finite.kit.ids import new_id
from finite.kit.request_id import request_id_of
from finite.platform.http import ANY_KEY, AnyRequest, PrincipalDep
from finite.platform.openapi_hints import documented, query
from finite.platform.request_bodies import streamed_csv_body
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change

_FLAG = {"type": "boolean", "default": False}
IMPORT_PARAMS = [
    query(
        "upsert_on",
        "A standard field (e.g. `email`): a row whose value matches a record's updates it "
        "(emails in any case); other rows create records. Needs the update permission too.",
        {"type": "string"},
    ),
    query("dry_run", "Check every row and report; write no record.", _FLAG),
    query("stop_on_error", "Stop at the first row that fails (those before it stay).", _FLAG),
]
MAX_LIST = 100
JOB_ID = re.compile(r"imp_[0-9a-z]{26}")


@post(
    "/{filename:str}",
    status_code=202,
    request_max_body_size=None,  # streamed: streamed_csv_body counts FINITE_IMPORT_MAX_MB
    description="`filename` is `{module}.csv`. The body is the CSV file (`Content-Type: "
    "text/csv`, UTF-8, a header row naming fields by key or label; the export's files "
    "re-import as they are). Answers 202 with the queued job and its `Location`; the rows are "
    "written in the background, each valid row as a create (or an update, with `upsert_on`) "
    "with its own audit row and webhook event; a row that fails is reported and never stops "
    "the others unless `stop_on_error`.",
    responses={202: ResponseSpec(ImportJobView, generate_examples=False, description="The job.")},
    opt={
        **documented(
            body=str,
            body_media_type="text/csv",
            body_description="The CSV file, streamed; any size up to FINITE_IMPORT_MAX_MB.",
            params=IMPORT_PARAMS,
        ),
        PERMISSION: ModuleAction("create", module_of=module_of_csv),
        AUDIT: "import",
    },
)
async def start_import(
    request: AnyRequest, principal: PrincipalDep, filename: FromPath[str]
) -> Response[bytes]:
    module = filename.removesuffix(".csv")  # the guard refused any other name
    platform = platform_of(request)
    async with platform.db.read() as session:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
    options = _options(request)
    service.check_options(schema, options)
    if options.upsert_on is not None and not principal.may(module, "edit"):
        role = principal.role.name if principal.role else "this key"
        raise forbidden(f"The {role} role cannot edit {module} (upsert_on updates records).")
    job_id = new_id("imp")
    body = streamed_csv_body(request, platform.settings.import_max_mb * 1024 * 1024)
    upload = await store_upload(
        platform.db, principal.org_id, job_id, schema, body, needs_column=options.upsert_on
    )
    job = service.new_job(
        principal,
        schema,
        job_id,
        request.headers.get("x-filename") or f"{module}.csv",
        upload,
        options,
        request_id_of(request.scope),
        request.client.host if request.client else None,
    )

    async def work(session: AsyncSession) -> Changed[dict[str, Any]]:
        return await service.queue_job(session, job)

    view = await commit_change(request, 202, work)
    nudge_imports(platform)
    return json_answer(view, 202, {"Location": f"/api/import/jobs/{job_id}"})


@get(
    "/jobs",
    description="The organization's import jobs in modules the key may import into, newest "
    "first; `cursor` is the last page's `next_cursor`.",
    responses={200: ResponseSpec(ImportJobPage, generate_examples=False, description="Jobs.")},
    opt={
        **documented(
            params=[
                query(
                    "cursor",
                    "Where the last page ended: its `next_cursor`.",
                    {"type": "string", "pattern": f"^{JOB_ID.pattern}$"},
                )
            ]
        ),
        PERMISSION: ANY_KEY,
    },
)
async def list_imports(request: AnyRequest, principal: PrincipalDep) -> Response[bytes]:
    before = request.query_params.get("cursor")
    if before is not None and not JOB_ID.fullmatch(before):
        raise invalid_field("cursor", "must be the next_cursor of the last page")
    async with platform_of(request).db.read() as session:
        jobs = await repository.list_jobs(session, principal.org_id, MAX_LIST, before)
    views = [service.job_view(job) for job in jobs if principal.may(job.module, "create")]
    next_cursor = jobs[-1].id if len(jobs) == MAX_LIST else None
    return json_answer({"data": views, "next_cursor": next_cursor})


@get(
    "/jobs/{job_id:str}",
    responses={200: ResponseSpec(ImportJobView, generate_examples=False, description="The job.")},
    opt={PERMISSION: ANY_KEY},
)
async def get_import(
    request: AnyRequest, principal: PrincipalDep, job_id: FromPath[str]
) -> Response[bytes]:
    """The job's progress and outcome."""
    async with platform_of(request).db.read() as session:
        job = await service.visible_job(session, principal, job_id)
    return json_answer(service.job_view(job))


@get(
    "/jobs/{job_id:str}/errors.csv",
    responses={200: csv_answer("The rows that failed: row, field, reason; one line each.")},
    opt={PERMISSION: ANY_KEY},
)
async def import_errors(
    request: AnyRequest, principal: PrincipalDep, job_id: FromPath[str]
) -> Stream:
    """The error report: every reason each failed row failed, in row order (row 1 is the
    header). Complete once the job is done."""
    db = platform_of(request).db
    async with db.read() as session:
        job = await service.visible_job(session, principal, job_id)
    return Stream(
        service.error_report(db, principal.org_id, job.id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{job.id}-errors.csv"'},
    )


@post(
    "/jobs/{job_id:str}/cancel",
    status_code=200,
    responses={200: ResponseSpec(ImportJobView, generate_examples=False, description="The job.")},
    opt={PERMISSION: ANY_KEY, AUDIT: "cancel_import"},
)
async def cancel_import(
    request: AnyRequest, principal: PrincipalDep, job_id: FromPath[str]
) -> Response[bytes]:
    """Stops a queued or running job after the chunk in progress; committed rows stay."""

    async def work(session: AsyncSession) -> Changed[dict[str, Any]]:
        changed = await service.cancel_job(session, principal, job_id)
        set_subject(request.scope, changed.data["module"], None, "cancel_import")
        return changed

    return json_answer(await commit_change(request, 200, work))


def _options(request: AnyRequest) -> service.ImportOptions:
    params = request.query_params
    problems: list[ErrorDetail] = []
    flags: dict[str, bool] = {}
    for name in ("dry_run", "stop_on_error"):
        value = (params.get(name) or "false").lower()
        if value not in ("true", "false", "1", "0"):
            problems.append(ErrorDetail(name, "must be true or false"))
        flags[name] = value in ("true", "1")
    if problems:
        raise validation_error(problems)
    upsert_on = params.get("upsert_on") or None
    return service.ImportOptions(upsert_on, flags["dry_run"], flags["stop_on_error"])


router = Router(
    "/import",
    route_handlers=[start_import, list_imports, get_import, import_errors, cancel_import],
)
