"""The built-in offline basemap: time to draw a PNG tile, zoom by zoom, on the demo dataset.

One throwaway cluster with the demo dataset (``importers.demo.load_demo``). At each zoom 9–18, the 3 × 3
tiles around the city core are drawn cold (no cache: ``layers.basemap.tile_content`` +
``formats.tile_image.draw_tile``); the reference, in the same run, is the roads vector tile of the same
tiles (``gis_server.routers.tiles.tile_sql``, one ``ST_AsMVT``), which the map asks for as a layer.
Prints ms per tile and the ratio; writes each zoom's 3 × 3 mosaic to ``bench/output/basemap-z{z}.png``
so the cartography can be looked at. Rows for ``run_all.py``: ms per tile and the ratio, no target.

    .venv/bin/python bench/bench_basemap.py            # ≈ 1–2 minutes
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_map import tile_of  # noqa: E402
from bench.common import sqlalchemy_url, throwaway_cluster  # noqa: E402
from bench.rows import Row  # noqa: E402

CORE = (122.79, 40.88)  # 海城 city core (the demo's densest roads and names)
OUTPUT = Path(__file__).resolve().parent / "output"


def main(argv: list[str] | None = None) -> list[Row]:
    rows: list[Row] = []
    from PIL import Image
    from sqlalchemy import create_engine, text

    from formats.tile_image import draw_tile
    from gis_server.migrate import upgrade
    from gis_server.routers.tiles import tile_sql
    from importers.demo import load_demo
    from layers.basemap import MAX_ZOOM, MIN_ZOOM, tile_content
    from layers.catalog import registry

    OUTPUT.mkdir(exist_ok=True)
    roads = tile_sql(registry().get("roads"), {}, None)  # type: ignore[arg-type]
    with throwaway_cluster("gis_bench_basemap") as url:
        upgrade(sqlalchemy_url(url))
        engine = create_engine(sqlalchemy_url(url))
        t0 = time.perf_counter()
        counts = load_demo(engine, echo=lambda s: None)
        print(f"data: demo loaded in {time.perf_counter() - t0:.1f} s ({sum(counts.values()):,} rows)")
        print(f"{'z':>3} {'basemap ms/tile':>16} {'roads MVT ms/tile':>18} {'ratio':>6} {'KiB/tile':>9}")
        with engine.connect() as conn:
            for z in range(MIN_ZOOM, MAX_ZOOM + 1):
                _, cx, cy = tile_of(*CORE, z)
                ours, theirs, sizes = [], [], []
                mosaic = Image.new("RGBA", (768, 768), (221, 221, 221, 255))
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        x, y = cx + dx, cy + dy
                        started = time.perf_counter()
                        png = draw_tile(*tile_content(conn, z, x, y))
                        ours.append(time.perf_counter() - started)
                        started = time.perf_counter()
                        conn.execute(text(roads), {"z": z, "x": x, "y": y, "layer": "roads"}).scalar_one()
                        theirs.append(time.perf_counter() - started)
                        sizes.append(len(png))
                        tile = Image.open(io.BytesIO(png)).convert("RGBA")
                        mosaic.alpha_composite(tile, ((dx + 1) * 256, (dy + 1) * 256))
                mosaic.save(OUTPUT / f"basemap-z{z}.png")
                a, b = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
                print(f"{z:>3} {a:>16.1f} {b:>18.1f} {a / b:>6.1f} {statistics.mean(sizes) / 1024:>9.1f}")
                rows += [Row(f"basemap z{z}: cold tile", a, "ms"), Row(f"basemap z{z}: / roads MVT", a / b, "×")]
        engine.dispose()
    print(f"mosaics: {OUTPUT}/basemap-z9.png … basemap-z18.png")
    return rows


if __name__ == "__main__":
    main()
