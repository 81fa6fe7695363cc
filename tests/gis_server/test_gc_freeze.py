"""Start-up objects are frozen out of the garbage collector's full collections (issue 21: each one walked
every object start-up made, stopping every request for 0.3–1.2 s on a loaded machine)."""

from __future__ import annotations

import gc

from gis_server.app import freeze_start_up_objects


def test_start_up_objects_are_out_of_the_collectors_reach() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        freeze_start_up_objects()
        frozen = gc.get_freeze_count()
        # this process's modules, FastAPI's and SQLAlchemy's tables: far more than a handful
        assert frozen > 10_000, frozen
        # what the full collections still walk is what came after start-up, a small part of it
        assert sum(len(gc.get_objects(generation)) for generation in range(3)) < frozen / 4
    finally:
        gc.unfreeze()
