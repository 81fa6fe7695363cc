"""Build the whole demo dataset in memory: table name → rows (geometry in EPSG:4550)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from shapely.geometry import Point

from importers.demo.boundaries import build_boundaries
from importers.demo.cemeteries import build_cemeteries, write_candidate_sites
from importers.demo.child_welfare import build_officers
from importers.demo.common import TAG, Table
from importers.demo.facilities import build_care_facilities, build_community_service_centers, build_shelters
from importers.demo.households import build_households
from importers.demo.network import build_network
from importers.demo.partition import Partition, build_partition, multi, seat_name
from importers.demo.place_names import build_place_names
from importers.demo.settlements import build_settlements
from importers.demo.zones import build_zones

# insert order (parents first); deletes run in reverse
TABLE_ORDER = [
    "townships", "villages", "roads", "railways", "rivers", "basic_farmland", "cultivated_land", "forest_land",
    "urban_parks", "urban_planning_zones", "scenic_areas", "nature_reserves", "water_source_zones",
    "heritage_sites", "place_names", "place_name_signs", "boundary_lines", "boundary_markers", "shelters",
    "care_facilities", "community_service_centers", "cemeteries", "scattered_graves", "households",
]


T = TypeVar("T")

def _admin_tables(partition: Partition) -> tuple[Table, Table]:
    townships, villages = Table("townships"), Table("villages")
    for t in partition.townships.values():
        townships.add(multi(t.geom), code=t.code, name=t.name, kind=t.kind, population=t.population,
                      seat_name=seat_name(partition, t))
    for v in partition.villages.values():
        villages.add(multi(v.geom), code=v.code, name=v.name, township_code=v.parent, kind=v.kind,
                     population=v.population)
    return townships, villages


def _rows_table(name: str, rows: list[dict]) -> Table:
    table = Table(name)
    for row in rows:
        values = {k: v for k, v in row.items() if k != "geom"}
        table.add(row["geom"], **values)
    return table


def build_dataset(echo: Callable[[str], None] = print, write_files: bool = True) -> dict[str, Table]:
    """Every demo table, deterministic for the fixed seed; reports each stage with its time."""
    return build_all(echo, write_files)[0]


def build_all(echo: Callable[[str], None] = print,
              write_files: bool = True) -> tuple[dict[str, Table], list[dict[str, object]]]:
    """Every demo table and the child-welfare officers (not a map layer: rows without geometry)."""
    out: dict[str, Table] = {}

    def stage(label: str, func: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = func()
        echo(f"  生成 {label} … {time.perf_counter() - start:.1f} s")
        return result

    partition: Partition = stage("乡镇与村界 partition", build_partition)
    out["townships"], out["villages"] = _admin_tables(partition)
    settlements = stage("居民点 settlements", lambda: build_settlements(partition))
    net = stage("道路/铁路/河流 network", lambda: build_network(partition, settlements))
    out["roads"] = _rows_table("roads", net.roads)
    out["railways"] = _rows_table("railways", net.railways)
    out["rivers"] = _rows_table("rivers", net.rivers)
    zones = stage("三沿六区 zones", lambda: build_zones(partition, settlements, net))
    for name, rows in zones.tables.items():
        out[name] = _rows_table(name, [{**r, "geom": multi(r["geom"])} for r in rows])
    out["place_names"], out["place_name_signs"] = stage(
        "地名 place names", lambda: build_place_names(partition, settlements, net))
    out["boundary_lines"], out["boundary_markers"] = stage(
        "界线界桩 boundaries", lambda: build_boundaries(partition))
    out["shelters"] = build_shelters(partition)
    out["care_facilities"] = build_care_facilities(partition)
    out["community_service_centers"] = build_community_service_centers(partition)
    cemeteries, graves, sites = stage(
        "公墓与散坟 cemeteries", lambda: build_cemeteries(partition, settlements, net, zones))
    out["cemeteries"], out["scattered_graves"] = cemeteries, graves
    if write_files:
        write_candidate_sites(sites)
    out["households"] = stage(
        "困难群众户 households", lambda: build_households(partition, settlements, net, zones))
    return {name: out[name] for name in TABLE_ORDER}, build_officers(partition)


__all__ = ["TAG", "TABLE_ORDER", "Point", "build_all", "build_dataset"]
