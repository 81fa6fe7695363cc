"""For the session and sign-in tests: the app under uvicorn on a database whose writes commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from gis_server.app import create_app
from gis_server.settings import Settings
from tests.utils.database import free_port


@contextmanager
def live_app(database_url: str, **settings: Any) -> Iterator[tuple[str, FastAPI]]:
    """The app (owning its database: pool, listener, cache, as in production) serving on a free port
    of 127.0.0.1 in a thread; yields its base URL and the app."""
    app = create_app(Settings(environment="test", database_url=database_url, _env_file=None, **settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}", app
    finally:
        server.should_exit = True
        thread.join(10)
