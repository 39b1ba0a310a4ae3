"""The bare route bench/writes.py measures Finite against: Litestar answering a small JSON
body, served by granian with Finite's own loop and interface (bench/writes.py starts it)."""

from __future__ import annotations

from typing import Any

from granian import Granian
from granian.constants import Interfaces, Loops
from litestar import Litestar, Request, get, post

ANSWER = {"id": 1, "version": 1, "name": "Asha Rao", "company": "Acme Pumps", "status": "New"}


@get("/bare/{record_id:int}")
async def read(record_id: int) -> dict[str, Any]:
    return {**ANSWER, "id": record_id}


@post("/bare", status_code=201)
async def write(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {**ANSWER, **await request.json()}


app = Litestar([read, write], openapi_config=None, debug=False)


def serve(port: int, workers: int) -> None:
    Granian(
        "bare_app:app",
        address="127.0.0.1",
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=Loops.asyncio,
        log_enabled=False,
    ).serve()


if __name__ == "__main__":
    import sys

    serve(int(sys.argv[1]), int(sys.argv[2]))
