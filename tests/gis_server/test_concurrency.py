"""Concurrent requests use the pooled connections only (issue 21: the tiles' tail at 8 clients came
from connections opened beyond the pool, each a new backend loading PostGIS and PROJ)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from anyio import to_thread
from fastapi.testclient import TestClient
from sqlalchemy import event

from gis_server.app import create_app
from gis_server.deps import get_current_actor
from gis_server.settings import Settings
from layers.roles import ADMIN, Actor

POOL = 3


def test_requests_beyond_the_pool_wait_for_it_instead_of_opening_connections(database_url: str) -> None:
    settings = Settings(environment="test", database_url=database_url, db_pool_size=POOL, db_max_overflow=4,
                        _env_file=None)
    app = create_app(settings)  # its own engine on the real database, as in production
    app.dependency_overrides[get_current_actor] = lambda: Actor("tester", frozenset({ADMIN}), "127.0.0.1")
    opened: list[object] = []
    with TestClient(app) as client:
        event.listen(app.state.db.engine, "connect", lambda connection, record: opened.append(connection))
        assert client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens) == POOL

        def tile(i: int) -> int:  # 24 different tiles at z14 over the county
            return client.get(f"/tiles/shelters/14/{13770 + i % 6}/{6145 + i // 6}.pbf").status_code

        with ThreadPoolExecutor(16) as workers:
            statuses = list(workers.map(tile, range(24)))
    assert statuses == [200] * 24
    # never beyond the pool (request threads, the job worker, the compliance listener, the tile reads'
    # writer): no connection is opened per request and closed again
    assert app.state.db.engine.pool.size() == POOL + settings.job_workers + 2
    assert 1 <= len(opened) <= app.state.db.engine.pool.size()
    assert app.state.db.engine.pool.overflow() <= 0
