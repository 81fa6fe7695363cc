"""The garbage collector paused while imports run: back on only when the last overlapping import ends."""

from __future__ import annotations

import gc

import pytest

from layers.imports.collector import collector_paused


def test_the_collector_resumes_when_the_last_overlapping_pause_ends() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other import still runs
    assert gc.isenabled()


def test_the_collector_resumes_after_an_import_fails() -> None:
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("a refused file")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
