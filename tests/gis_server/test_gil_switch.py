"""A server hands the GIL to a waiting thread after 0.5 ms, not Python's 5 ms (issue 21: the tile reads'
group-commit writer and the request threads back from the database waited for the busy event loop)."""

from __future__ import annotations

import sys

from gis_server.app import hand_the_gil_over_sooner


def test_a_waiting_thread_gets_the_gil_within_half_a_millisecond() -> None:
    before = sys.getswitchinterval()
    try:
        hand_the_gil_over_sooner()
        assert sys.getswitchinterval() == 0.0005
    finally:
        sys.setswitchinterval(before)
