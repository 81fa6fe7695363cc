"""The application factory. Nothing is built at import time: call :func:`create_app`."""

from __future__ import annotations

import gc
import inspect
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from formats import lock_down_gdal
from gis_server.accounts.cache import AccountCache
from gis_server.db import Database, libpq_url, make_engine
from gis_server.errors import register_error_handlers
from gis_server.jobs import api as jobs_api
from gis_server.jobs import queue as job_queue
from gis_server.jobs.runner import JobRunner
from gis_server.listener import NotifyListener
from gis_server.observability import Metrics, RequestObserver
from gis_server.ogc import router as ogc_router
from gis_server.routers import (
    admin,
    auth,
    features,
    households,
    login,
    pages_imports,
    pages_records,
    siting,
    system,
    tiles,
)
from gis_server.routers import basemap as basemap_router
from gis_server.routers import compliance as compliance_router
from gis_server.routers import coverage as coverage_router
from gis_server.routers import exports as exports_router
from gis_server.routers import imports as imports_router
from gis_server.routers import inspections as inspections_router
from gis_server.routers import outlines as outlines_router
from gis_server.routers import pages_analysis as analysis_pages
from gis_server.routers import place_names as place_names_router
from gis_server.routers import printing as printing_router
from gis_server.routers.pages import install_pages
from gis_server.settings import Settings, get_settings
from gis_server.strict_json import RefuseNonFiniteJson
from gis_server.tile_cache import TileCache
from gis_server.tile_fast_path import TileFastPath
from layers.compliance.queue import COMPLIANCE_CHANNEL
from layers.privacy import PersonalDataCipher
from web_map.settings import MapSettings

DESCRIPTION = """海城民政一张图：地名、界线界桩、应急避难场所、养老与福利设施、公墓与散坟、三沿六区约束、困难群众户。

Haicheng civil-affairs spatial service. Geometries are GeoJSON (RFC 7946, lon/lat, CGCS2000);
writes need the feature's version in `If-Match`; errors carry a Chinese `message`."""


def freeze_start_up_objects() -> None:
    """Move what start-up made (modules, the registry, SQLAlchemy's and FastAPI's tables: a few hundred
    thousand objects) out of the garbage collector's reach. Each full collection walked all of them, with
    every request stopped: 0.3–1.2 s on the loaded bench machine, twice in 10 s of 32 clients on warm
    tiles, a tail of every request in flight (issue 21). Not in a test's app: a test process makes many
    apps, and what one leaves behind would never be collected.
    """
    gc.collect()
    gc.freeze()


GIL_SWITCH_SECONDS = 0.0005


def hand_the_gil_over_sooner() -> None:
    """Let a thread waiting for the GIL have it after 0.5 ms instead of Python's 5 ms. The event loop keeps
    the GIL while it has work; the tile reads' group-commit writer and the request threads coming back
    from the database waited up to 5 ms for it, an idle wait in every warm tile under load (issue 21:
    z14 tiles at 8 clients 1,190 → 1,370 requests/s, same run).
    """
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


def without_open_telemetry() -> dict[str, Any]:
    """FastAPI's arguments that switch its OpenTelemetry hooks off, where it has them (FastAPI ≥ 0.16x):
    they asked OpenTelemetry on every request whether anyone listened, 4–5 % of a warm tile's time
    (issue 21). The service exports its own Prometheus metrics (:mod:`gis_server.observability`).
    """
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    return {}


def create_app(settings: Settings | None = None, database: Database | None = None,
               map_settings: MapSettings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and database."""
    settings = settings or get_settings()
    lock_down_gdal()  # uploads: no VRT or network GDAL drivers, no network paths, for the whole process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_db = database is None
        # worker threads = pooled connections (see Settings.db_pool_size): requests beyond that wait
        # their turn in order, instead of opening connections that are closed again
        to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        app.state.db = database or Database(
            make_engine(settings), make_engine(settings, replica=True) if settings.database_read_url else None,
            settings.read_after_write_seconds)
        # a database handed in by tests lives in one uncommitted transaction: no notifications, no cache
        app.state.accounts = AccountCache(libpq_url(settings.sqlalchemy_url) if owns_db else None)
        app.state.accounts.start()
        # background jobs: worker threads; inline when the database is a test's single transaction
        app.state.jobs = JobRunner(app.state.db, workers=settings.job_workers, inline=not owns_db,
                                   keep_days=settings.job_keep_days)
        app.state.jobs.start()
        # the compliance re-checks run in the background as a job, woken by the changes themselves
        def wake() -> object:  # several wake-ups share one pending drain job
            return jobs_api.submit(app, compliance_router.DRAIN_JOB, "queue", {}, "系统")

        # woken by the queue triggers' NOTIFY at commit, and every 30 s anyway (a change made while reconnecting)
        app.state.compliance = NotifyListener(libpq_url(settings.sqlalchemy_url) if owns_db else None,
                                              COMPLIANCE_CHANNEL, "gis-compliance-listener", on_notify=wake,
                                              on_listen=wake, idle_seconds=30.0)
        app.state.compliance.start()
        if owns_db:  # process-wide settings: a server's, not a test's
            freeze_start_up_objects()
            hand_the_gil_over_sooner()
        yield
        app.state.compliance.stop()
        app.state.jobs.stop()
        app.state.accounts.stop()
        if owns_db:
            app.state.db.dispose()

    app = FastAPI(title="海城民政一张图 Haicheng civil-affairs GIS", description=DESCRIPTION, version="0.1.0",
                  lifespan=lifespan, **without_open_telemetry())
    app.state.settings = settings
    app.state.map_settings = map_settings or MapSettings()
    app.state.cipher = PersonalDataCipher(settings.data_key)
    app.state.tiles = TileCache(settings.tile_cache_mb * 2**20)
    app.state.metrics = Metrics(lambda: app.state.db.engine.pool if hasattr(app.state, "db") else None,
                                lambda: job_queue.counts(app.state.db) if hasattr(app.state, "db") else [])
    app.add_middleware(RequestObserver, metrics=app.state.metrics, slow_seconds=settings.slow_request_ms / 1000)
    register_error_handlers(app)
    app.add_middleware(RefuseNonFiniteJson)  # NaN/Infinity/1e400 in any JSON body: 422 (issue 13)
    # first: a request is matched against the routes in order, and a map asks for tiles by the dozen
    # (issue 21: matching the ~200 routes before it was a sixth of a warm tile's time)
    app.include_router(tiles.router)
    app.include_router(system.router)
    app.include_router(auth.router)
    app.include_router(login.router)
    app.include_router(admin.router)
    app.include_router(households.router)
    app.include_router(imports_router.router)  # before features: /{layer}/imports/options
    app.include_router(features.router)
    app.include_router(exports_router.router)
    app.include_router(basemap_router.router)  # the built-in offline basemap (PNG tiles)
    app.include_router(outlines_router.router)  # the county's outlines per zoom (issue 21)
    app.include_router(place_names_router.router)
    app.include_router(siting.router)
    app.include_router(coverage_router.router)
    app.include_router(inspections_router.router)
    app.include_router(pages_records.router)
    app.include_router(ogc_router())  # OGC API – Features and Tiles (/ogc)
    app.include_router(compliance_router.router)
    app.include_router(jobs_api.router)
    app.include_router(pages_imports.router)
    app.include_router(printing_router.router)  # POST /api/print

    app.include_router(analysis_pages.router)
    install_pages(app)
    # in front of the route table, inside the middleware and error handlers (issue 21): ``Router(middleware=…)``
    # wraps the same attribute, which FastAPI's app does not let us pass
    app.router.middleware_stack = TileFastPath(app.router.middleware_stack, tiles.tile_route())
    return app
