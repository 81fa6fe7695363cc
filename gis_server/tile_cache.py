"""Rendered vector tiles kept in memory, so a tile asked for again is not rendered again.

An entry is keyed by the layer's table, the tile and the caller's scope — the hash of the very statement
that rendered it, which holds the masks and the row filter of the caller's roles, so two roles that see
different rows never share an entry — and holds the table's data version it is good for
(``layers.data_versions``: bumped in the transaction of every write).

A reader asks with the version it has just read. An entry of an older version is served only when
every write between the two versions is known to have happened away from the tile: each write records
the extent of the rows it wrote (migration 0029), which the cache learns once per new version
(:meth:`TileCache.learn`). A write of unknown place (TRUNCATE, a table without extents, a version
no longer recorded) or one touching the tile — its envelope plus the rendering buffer — makes the entry
be rendered again. So a write re-renders only the tiles it touches and a stale tile is never served.
Least recently used entries go first past ``max_bytes``; 0 turns the cache off. Safe to use from the
worker threads.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

Bounds = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in degrees (EPSG:4490)
MAX_VERSION_GAP = 256  # an entry further behind than this is rendered again rather than checked
KEEP_CHANGES = 4096  # versions of one table remembered
_HALF_WORLD = 20037508.342789244  # Web Mercator (EPSG:3857) half extent, metres


@dataclass(frozen=True)
class Tile:
    body: bytes
    etag: str


@dataclass(frozen=True)
class TileKey:
    table: str
    scope: str  # hash of the rendering statement (masks and row filter of the caller's roles)
    z: int
    x: int
    y: int


def tile_bounds(z: int, x: int, y: int, margin: float) -> Bounds:
    """The lon/lat box of tile z/x/y grown by ``margin`` (a fraction of its side), as the tile statement
    selects its rows (``ST_TileEnvelope(margin => …)`` transformed to EPSG:4490).
    """
    size = 2 * _HALF_WORLD / (1 << z)
    grow = size * margin
    west, east = -_HALF_WORLD + x * size - grow, -_HALF_WORLD + (x + 1) * size + grow
    north, south = _HALF_WORLD - y * size + grow, _HALF_WORLD - (y + 1) * size - grow

    def lon(mx: float) -> float:
        return mx / _HALF_WORLD * 180.0

    def lat(my: float) -> float:
        return math.degrees(math.atan(math.sinh(my / _HALF_WORLD * math.pi)))

    return lon(west), lat(max(south, -_HALF_WORLD)), lon(east), lat(min(north, _HALF_WORLD))


def _touches(a: Bounds, b: Bounds) -> bool:
    eps = 1e-9  # degrees (0.1 mm): rounding of the envelope's transform
    return a[0] <= b[2] + eps and b[0] <= a[2] + eps and a[1] <= b[3] + eps and b[1] <= a[3] + eps


@dataclass
class _Entry:
    tile: Tile
    version: int


class TileCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[TileKey, _Entry] = OrderedDict()
        self._bytes = 0
        # table → version → extent of that write (None when it drew nothing); a version
        # missing from the map is a write of unknown place
        self._changes: dict[str, dict[int, Bounds | None]] = {}
        self._learnt: dict[str, int] = {}  # table → versions up to this one were learnt
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def learnt(self, table: str) -> int | None:
        """Versions of ``table`` up to this one are known; None: nothing learnt yet (start from now)."""
        with self._lock:
            return self._learnt.get(table)

    def learn(self, table: str, upto: int, changes: Iterable[tuple[int, Bounds | None]]) -> None:
        """The writes of ``table`` after :meth:`learnt` up to version ``upto`` and where they happened."""
        with self._lock:
            if upto <= self._learnt.get(table, -1):
                return
            known = self._changes.setdefault(table, {})
            known.update((v, b) for v, b in changes if v <= upto)
            self._learnt[table] = upto
            for old in [v for v in known if v <= upto - KEEP_CHANGES]:
                del known[old]

    def forget(self, table: str) -> None:
        """Drop what is known of ``table``: its version went back (a reader behind another, or the
        versions were reset), so no version number of it is trusted any more.
        """
        with self._lock:
            for key in [k for k in self._entries if k.table == table]:
                self._drop(key)
            self._changes.pop(table, None)
            self._learnt.pop(table, None)

    def get(self, key: TileKey, version: int, bounds: Bounds) -> Tile | None:
        """The tile for a reader that has read ``version`` of the table, or None (render it). ``bounds``:
        where the tile's rows are taken from (:func:`tile_bounds` with the rendering buffer).
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version != version:
                if entry.version < version and self._untouched(key.table, bounds, entry.version, version):
                    entry.version = version  # no write since touched this tile
                else:
                    self._drop(key)
                    entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.tile

    def put(self, key: TileKey, tile: Tile, version: int) -> None:
        if len(tile.body) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.get(key)
            if old is not None:
                if old.version >= version:
                    return  # rendered by a reader that read an older version: the newer one stays
                self._drop(key)
            self._entries[key] = _Entry(tile, version)
            self._bytes += len(tile.body)
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.tile.body)

    def _untouched(self, table: str, bounds: Bounds, since: int, upto: int) -> bool:
        """Whether every write after ``since`` up to ``upto`` is known and away from ``bounds``."""
        if upto - since > MAX_VERSION_GAP or upto > self._learnt.get(table, -1):
            return False
        known = self._changes.get(table, {})
        for v in range(since + 1, upto + 1):
            if v not in known:
                return False
            extent = known[v]
            if extent is not None and _touches(bounds, extent):  # None: nothing drawn changed
                return False
        return True

    def _drop(self, key: TileKey) -> None:
        self._bytes -= len(self._entries.pop(key).tile.body)
