"""Zone layers of 三沿六区: farmland, planning zones, scenic areas, reserves, water sources, heritage; and the
land 《殡葬管理条例》 Art. 10 names besides them: cultivated land (most of the plain), forest land (the
south-east hills, with clearings of barren slope) and a few parks in the city.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from importers.demo.common import TAG, county_outline, metric_xy, rng, sample_points, village_labels
from importers.demo.network import Network
from importers.demo.partition import Partition, multi
from importers.demo.settlements import Settlement, settlement_area
from importers.demo.terrain import HILL_MIN_M, PLAIN_MAX_M, elevation

GRID_M = 500.0


@dataclass
class Zones:
    # layer table name → rows (name, geom and the layer's own fields)
    tables: dict[str, list[dict]] = field(default_factory=dict)

    def union(self, table: str) -> BaseGeometry:
        return shapely.union_all([r["geom"] for r in self.tables.get(table, [])])


def blob(r: np.random.Generator, x: float, y: float, radius: float, roughness: float = 0.25) -> Polygon:
    """An irregular round polygon around (x, y)."""
    a = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    rad = np.ones_like(a)
    for k in (2, 3, 5):
        rad += roughness / k * np.sin(k * a + r.uniform(0, 2 * np.pi))
    return Polygon(np.column_stack([x + radius * rad * np.cos(a), y + radius * rad * np.sin(a)]))


@cache  # the same smoothed grid serves basic farmland and cultivated land
def _terrain_area(below: float | None = None, above: float | None = None) -> BaseGeometry:
    """Land lower than ``below`` or higher than ``above`` metres (a 500 m grid, smoothed), inside the county."""
    county = county_outline()
    minx, miny, maxx, maxy = county.bounds
    xs = np.arange(minx, maxx, GRID_M)
    ys = np.arange(miny, maxy, GRID_M)
    gx, gy = np.meshgrid(xs + GRID_M / 2, ys + GRID_M / 2)
    height = elevation(gx, gy)
    chosen = height < below if below is not None else height > (above or 0.0)
    x, y, half = gx[chosen], gy[chosen], GRID_M / 2
    cells = shapely.box(x - half, y - half, x + half, y + half)
    return shapely.union_all(cells).buffer(400).buffer(-700).buffer(300).intersection(county)


def plain_area() -> BaseGeometry:
    """Land lower than PLAIN_MAX_M, inside the county."""
    return _terrain_area(below=PLAIN_MAX_M)


def _per_village(partition: Partition, land: BaseGeometry, name: str, min_area: float = 50_000) -> list[dict]:
    """``land`` cut by village, parts under ``min_area`` m² dropped: one row per village."""
    rows = []
    labels = village_labels(partition)  # names are natural keys: villages sharing a name get their township's
    shapely.prepare(land)
    for v in partition.villages.values():
        if not land.intersects(v.geom):
            continue
        part = land.intersection(v.geom)
        part = shapely.union_all([g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"
                                  and g.area > min_area])
        if not part.is_empty:
            rows.append({"name": f"{labels[v.code]}{name}{TAG}", "geom": multi(part)})
    return rows


def _article10_land(z: Zones, partition: Partition, settlements: list[Settlement], net: Network,
                    r: np.random.Generator) -> None:
    """Cultivated land, forest land and city parks (《殡葬管理条例》 Art. 10 (一)/(二))."""
    county = county_outline()
    # cultivated land (一般耕地): the plain outside settlements, towns, rivers and main roads, less what is
    # already drawn as basic farmland (its own layer; both forbid graves), with some unfarmed patches left
    unfarmed = shapely.union_all([blob(r, x, y, r.uniform(250, 600), 0.3) for x, y in sample_points(r, county, 260)])
    keep_out = shapely.union_all([
        z.union("urban_planning_zones"), settlement_area(settlements, 60), net.lines("rivers").buffer(80),
        net.lines("roads", "expressway").buffer(40), net.lines("railways").buffer(30), unfarmed])
    cultivated = plain_area().difference(keep_out).difference(z.union("basic_farmland"))
    z.tables["cultivated_land"] = _per_village(partition, cultivated, "一般耕地", 20_000)
    # forest land: the south-east hills, less clearings of barren slope (荒山荒坡, where hill cemeteries go)
    clearings = shapely.union_all([blob(r, x, y, r.uniform(300, 900), 0.35)
                                   for x, y in sample_points(r, county, 420)])
    forest = _terrain_area(above=HILL_MIN_M).difference(clearings).difference(settlement_area(settlements, 60))
    z.tables["forest_land"] = _per_village(partition, forest, "林地")
    cx, cy = metric_xy(122.69, 40.88)
    parks = [(-900, 600, 420, "海州公园"), (1300, -400, 300, "河畔公园"), (300, 1800, 520, "东山公园"),
             (-2100, -1300, 260, "西湖公园")]
    z.tables["urban_parks"] = [{"name": f"{n}{TAG}", "geom": multi(blob(r, cx + dx, cy + dy, rad, 0.2))}
                               for dx, dy, rad, n in parks]


def build_zones(partition: Partition, settlements: list[Settlement], net: Network) -> Zones:
    r = rng("zones")
    z = Zones()
    county = county_outline()
    # urban planning zones: the city and every town seat
    urban = []
    cx, cy = metric_xy(122.69, 40.88)
    urban.append({"name": f"海城市中心城区规划区{TAG}", "geom": blob(r, cx, cy, 5200, 0.2)})
    for t in partition.townships.values():
        if t.kind == "town":
            urban.append({"name": f"{t.name}镇区规划区{TAG}", "geom": blob(r, *t.seat, r.uniform(1100, 1700))})
    z.tables["urban_planning_zones"] = urban
    urban_all = shapely.union_all([u["geom"] for u in urban])

    # basic farmland: the plain minus settlements, planning zones, rivers and main roads
    keep_out = shapely.union_all([
        urban_all, settlement_area(settlements, 150), net.lines("rivers").buffer(200),
        net.lines("roads", "expressway").buffer(60), net.lines("railways").buffer(40)])
    z.tables["basic_farmland"] = _per_village(partition, plain_area().difference(keep_out), "基本农田保护区")

    hills = [  # (lon, lat, radius m, name): eastern hills
        (123.035, 40.745, 3200, "药山风景名胜区"), (122.935, 40.575, 2600, "白云山风景名胜区"),
        (123.075, 40.655, 2200, "大屯湖风景区")]
    z.tables["scenic_areas"] = [{"name": f"{n}{TAG}", "geom": multi(blob(r, *metric_xy(lo, la), rad)
                                                                     .intersection(county))}
                                for lo, la, rad, n in hills]
    reserves = [(123.105, 40.715, 4000, "九龙川自然保护区"), (122.90, 40.655, 3000, "接文山地森林自然保护区")]
    z.tables["nature_reserves"] = [{"name": f"{n}{TAG}", "geom": multi(blob(r, *metric_xy(lo, la), rad)
                                                                       .intersection(county))}
                                   for lo, la, rad, n in reserves]
    # water sources: a reservoir in 析木 and the city's well fields west of the city
    rx, ry = metric_xy(122.995, 40.825)
    reservoir = blob(r, rx, ry, 900, 0.35)
    water = [{"name": f"红土岭水库一级保护区{TAG}", "grade": "primary", "geom": reservoir.buffer(300)},
             {"name": f"红土岭水库二级保护区{TAG}", "grade": "secondary",
              "geom": reservoir.buffer(2000).difference(reservoir.buffer(300))}]
    wells = [metric_xy(122.615 + 0.012 * i, 40.905 - 0.006 * i) for i in range(6)]
    primary = shapely.union_all([Point(x, y).buffer(300) for x, y in wells])
    field_zone = shapely.union_all([Point(x, y).buffer(1500) for x, y in wells]).convex_hull
    water += [{"name": f"海城市西部地下水源地一级保护区{TAG}", "grade": "primary", "geom": primary},
              {"name": f"海城市西部地下水源地二级保护区{TAG}", "grade": "secondary",
               "geom": field_zone.difference(primary)}]
    z.tables["water_source_zones"] = [{**w, "geom": multi(w["geom"].intersection(county))} for w in water]
    z.reservoir = reservoir  # type: ignore[attr-defined]
    z.wells = wells  # type: ignore[attr-defined]

    heritage = [  # name, level, village the site is placed in, radius
        ("析木城石棚", "national", "姑嫂石村委会", 350), ("仙人洞遗址", "national", "孤山子村委会", 500),
        ("三学寺", "provincial", None, 150), ("牛庄古城遗址", "county", None, 400)]
    rows = []
    for name, level, village, radius in heritage:
        if village:
            v = next(u for u in partition.villages.values() if u.name == village)
            p = v.geom.buffer(-radius * 2).representative_point() if v.geom.buffer(-radius * 2).area else \
                v.geom.representative_point()
            x, y = p.x, p.y
            label = name  # a real site; only its outline here is synthetic
        elif name == "三学寺":
            x, y = metric_xy(122.702, 40.872)
            label = f"{name}{TAG}"
        else:
            x, y = partition.townships["210381123"].seat
            x, y = x + 1200, y - 900
            label = f"{name}{TAG}"
        rows.append({"name": label, "protection_level": level, "geom": multi(blob(r, x, y, radius, 0.15))})
    z.tables["heritage_sites"] = rows
    _article10_land(z, partition, settlements, net, rng("article10"))
    for table in z.tables.values():
        for row in table:
            row["geom"] = multi(row["geom"].intersection(county))
            row.setdefault("area_m2", round(row["geom"].area, 1))
    return z
