"""Python's cyclic garbage collector paused while an import builds and writes its rows.

An import keeps a few container objects per row until it ends (30,000 households: about a million
objects), and each automatic full collection walks all of them again: about 0.8 s of a 30,000-row
import on this machine (``bench/bench_import.py``). Reference counting still frees what an import
drops while paused; only reference cycles wait, until the last import running in the process ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many imports of this process are inside :func:`collector_paused`, and whether to resume."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.resume = False


_PAUSES = _Pauses()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside, back as it was when the last overlapping pause ends (imports run in threads).

    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    with _PAUSES.lock:
        if _PAUSES.count == 0:
            _PAUSES.resume = gc.isenabled()
            gc.disable()
        _PAUSES.count += 1
    try:
        yield
    finally:
        with _PAUSES.lock:
            _PAUSES.count -= 1
            if _PAUSES.count == 0 and _PAUSES.resume:
                gc.enable()
