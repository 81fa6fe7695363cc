"""Rendered vector tiles kept in memory, so a tile asked for again is not rendered again.

An entry is keyed by the layer's table, its data version (``layers.data_versions``: bumped in the
transaction of every write), the tile and the caller's scope — the hash of the very statement that
rendered it, which holds the masks and the row filter of the caller's roles. A write makes every
cached tile of its layer unreachable at once (the next read sees the new version) and the old entries
are dropped when a newer version is first seen, so a stale tile is never served; two roles that see
different rows never share an entry. Least recently used entries go first past ``max_bytes``; 0 turns
the cache off. Safe to use from the worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    body: bytes
    etag: str


@dataclass(frozen=True)
class TileKey:
    table: str
    version: int
    scope: str  # hash of the rendering statement (masks and row filter of the caller's roles)
    z: int
    x: int
    y: int


class TileCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[TileKey, Tile] = OrderedDict()
        self._bytes = 0
        self._newest: dict[str, int] = {}  # table → newest data version seen
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

    def get(self, key: TileKey) -> Tile | None:
        with self._lock:
            self._see_version(key.table, key.version)
            tile = self._entries.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: TileKey, tile: Tile) -> None:
        if len(tile.body) > self.max_bytes:
            return
        with self._lock:
            self._see_version(key.table, key.version)
            if key.version < self._newest[key.table] or key in self._entries:
                return  # rendered while a write committed: its version is gone already
            self._entries[key] = tile
            self._bytes += len(tile.body)
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def _see_version(self, table: str, version: int) -> None:
        """A newer version of ``table``: drop its older tiles, which no reader will ask for again."""
        if version <= self._newest.get(table, -1):
            return
        self._newest[table] = version
        for key in [k for k in self._entries if k.table == table and k.version < version]:
            self._bytes -= len(self._entries.pop(key).body)
