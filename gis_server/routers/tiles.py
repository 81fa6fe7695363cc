"""Vector tiles (Mapbox Vector Tile, PostGIS ST_AsMVT) for the large layers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["矢量切片 tiles"])
