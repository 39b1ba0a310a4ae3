"""The CRM API as the tests drive it: records made and read over /api, the checks of its error
answers, and the data several test files share. Organizations and keys: tests/factories.py."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import bearer

Client = AsyncTestClient[Litestar]

# A line item whose totals need rounding: 3 x 19.99 - 5, taxed at 18 %.
WIDGETS: dict[str, Any] = {
    "description": "Widget",
    "quantity": 3,
    "list_price": 19.99,
    "discount": 5,
    "tax_rate": 18,
}

# Five leads that between them exercise every operator on text, money, integer, boolean and
# picklist fields, with empty (null) values where `ne` and `is_null` must see them.
FIVE_LEADS: tuple[dict[str, Any], ...] = (
    {
        "name": "Asha Rao",
        "company": "Acme Pumps",
        "email": "asha@acmepumps.in",
        "title": "CEO",
        "value": 50000,
        "employees": 120,
        "status": "New",
        "rating": "Hot",
        "email_opt_out": False,
    },
    {
        "name": "Ravi Kumar",
        "company": "Beta Tools",
        "email": "ravi@betatools.com",
        "title": "CTO",
        "value": 1000,
        "employees": 15,
        "status": "Contacted",
        "rating": "Warm",
        "email_opt_out": True,
    },
    {
        "name": "Chen Wei",
        "company": "Acme Pumps",
        "email": "chen@acmepumps.in",
        "status": "Qualified",
    },
    {
        "name": "Dana White",
        "value": 999.99,
        "employees": 0,
        "status": "Lost",
        "rating": "Cold",
        "email_opt_out": True,
    },
    {
        "name": "Eve 50%_off",
        "company": "Gamma_Co",
        "email": "eve@gamma.example",
        "value": 1000.00,
        "employees": 15,
        "status": "New",
        "rating": "Warm",
    },
)

# Custom fields of leads, one of each kind a list filters and sorts on.
CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"key": "cf_code", "label": "Code", "type": "text"},
    {"key": "cf_budget", "label": "Budget", "type": "money"},
    {"key": "cf_region", "label": "Region", "type": "picklist", "options": ["EU", "US", "APAC"]},
    {"key": "cf_tags", "label": "Tags", "type": "multi_picklist", "options": ["Red", "Blue"]},
    {"key": "cf_seats", "label": "Seats", "type": "integer"},
    {"key": "cf_vip", "label": "VIP", "type": "boolean"},
)


# --- Answers ---------------------------------------------------------------------------------


def exact(response: Response) -> Any:
    """The JSON body with every non-integer number as an exact Decimal (strings stay strings)."""
    return json.loads(response.text, parse_float=Decimal)


def error_fields(response: Response) -> list[str | None]:
    return [detail["field"] for detail in response.json()["details"]]


def assert_invalid(response: Response, *fields: str) -> dict[str, Any]:
    """400 VALIDATION_ERROR naming (at least) every one of `fields`."""
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "VALIDATION_ERROR", body
    missing = set(fields) - set(error_fields(response))
    assert not missing, (missing, body)
    return body


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# --- Records and fields ----------------------------------------------------------------------


async def create(client: Client, key: str, module: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/records/{module}", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = exact(response)
    return created


async def created_id(client: Client, key: str, module: str, body: dict[str, Any]) -> int:
    record_id: int = (await create(client, key, module, body))["id"]
    return record_id


async def read(client: Client, key: str, module: str, record_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/records/{module}/{record_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    record: dict[str, Any] = exact(response)
    return record


async def put(
    client: Client,
    key: str,
    module: str,
    record_id: int,
    body: Any,
    headers: dict[str, str] | None = None,
) -> Response:
    return await client.put(
        f"/api/records/{module}/{record_id}",
        json=body,
        headers={**bearer(key), **(headers or {})},
    )


async def total(client: Client, key: str, module: str) -> int:
    response = await client.get(f"/api/records/{module}", headers=bearer(key))
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count


async def add_field(client: Client, key: str, module: str, body: dict[str, Any]) -> None:
    response = await client.post(f"/api/modules/{module}/fields", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text


def sample_value(field: dict[str, Any], variant: int) -> Any:
    """A valid value for a field as GET /api/modules/{module} describes it (lookups aside)."""
    kind, limit = field["type"], field.get("max_length")
    samples: dict[str, Any] = {
        "text": f"{field['label']} {variant}"[:limit],
        "long_text": f"{field['label']} {variant}",
        "email": f"someone{variant}@example.com",
        "phone": f"+1 555 010{variant}",
        "url": f"https://example.com/page-{variant}",
        "integer": variant,
        "decimal": 1.25 * variant,
        "money": 10.5 * variant,
        "percent": 5 * variant,
        "date": f"2026-06-1{variant}",
        "datetime": f"2026-06-1{variant}T10:30:00+00:00",
        "boolean": variant % 2 == 1,
    }
    if kind in samples:
        return samples[kind]
    options = field["options"]
    if kind == "picklist":
        return options[variant % len(options)]
    if kind == "multi_picklist":
        return [options[variant % len(options)]]
    raise AssertionError(f"no sample for {kind}")


async def minimal_body(
    client: Client, key: str, module: str, variant: int, depth: int = 0
) -> dict[str, Any]:
    """Every required field of `module`, each with a valid value made from its description."""
    response = await client.get(f"/api/modules/{module}", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = {}
    for field in response.json()["fields"]:
        if not field["required"]:
            continue
        if field["type"] == "lookup":
            assert depth < 5, "required lookups form a cycle"
            target = field["module"]
            body[field["key"]] = (
                await create(
                    client, key, target, await minimal_body(client, key, target, variant, depth + 1)
                )
            )["id"]
        else:
            body[field["key"]] = sample_value(field, variant)
    return body


async def never(*_: Any) -> bool:
    """Stands in for a check that stored lines or JSON are current, to force the computed path."""
    return False


# --- CSV import ------------------------------------------------------------------------------


async def upload_csv(client: Client, key: str, module: str, text: str, **params: str) -> Response:
    return await client.post(
        f"/api/import/{module}.csv",
        content=text.encode(),
        params=params,
        headers={**bearer(key), "Content-Type": "text/csv"},
    )


async def import_job(client: Client, key: str, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/import/jobs/{job_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def import_report(client: Client, key: str, job_id: str) -> list[list[str]]:
    response = await client.get(f"/api/import/jobs/{job_id}/errors.csv", headers=bearer(key))
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))
