"""The central service's HTTP application (ASGI, Starlette).

Endpoints so far:

- ``GET /health``: 200 ``{"status": "ok"}`` when the central database answers, 503
  ``{"status": "unavailable"}`` when it does not (for a load balancer's health check; it says
  nothing about why, which is in the service's log).
- ``GET /version``: the app's version, the protocol version laptops speak, and the central
  schema revisions the database is at (empty before ``aspire central init``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app import __version__
from app.sync.central import central_engine, database_answers, schema_revisions

#: The version of the protocol between laptops and the service; raised on any change a laptop
#: of the previous version could not follow.
PROTOCOL_VERSION = 1


def create_app(database_url: str) -> Starlette:
    """The service over the central database at ``database_url`` (which holds its password).

    The database is connected to lazily: the service starts, and says it is unavailable,
    while the database is down, and recovers by itself when it is back.
    """
    engine = central_engine(database_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()

    async def health(_request: Request) -> JSONResponse:
        if await run_in_threadpool(database_answers, engine):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    async def version(_request: Request) -> JSONResponse:
        schema = await run_in_threadpool(schema_revisions, engine)
        return JSONResponse({"app": __version__, "protocol": PROTOCOL_VERSION,
                             "schema": schema})

    return Starlette(routes=[Route("/health", health), Route("/version", version)],
                     lifespan=lifespan)
