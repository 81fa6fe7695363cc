"""The map of a site-check report: the site, a ring at each required distance around it, the nearest
feature of each kind (and a dotted line to it with the distance), the village outline; in EPSG:4550.

The report dict (``layers.siting.check.check_site``, or a candidate's frozen copy) names each nearest
feature by layer and id; their geometries are read here, clipped to the map's window. The layer
name is checked against the constraint kinds before it goes into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
import shapely.geometry
import shapely.ops
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from formats.mapimage import MapLayer, render_png
from formats.srids import METRIC_CRS, METRIC_SRID, STORAGE_CRS
from layers.features import q
from layers.geometry import reproject
from layers.siting.rules import CONSTRAINTS

STYLES: dict[str, dict[str, Any]] = {  # per constraint kind: colour (and face colour of zones)
    "highway": {"color": "#d9822b", "width": 2.2},
    "railway": {"color": "#333333", "width": 2.2, "style": "-."},
    "river_embankment": {"color": "#2f6fd0", "width": 2.0},
    "basic_farmland": {"color": "#b59b1a", "fill": "#efe08a"},
    "cultivated_land": {"color": "#c9a227", "fill": "#f6e7a8"},
    "forest_land": {"color": "#2e7d32", "fill": "#a5d6a7"},
    "urban_park": {"color": "#5c9e31", "fill": "#cde8b5"},
    "urban_planning": {"color": "#8e5ba8", "fill": "#d9c2e6"},
    "scenic_area": {"color": "#3e9a3e", "fill": "#b9e3b0"},
    "nature_reserve": {"color": "#1f6f4a", "fill": "#9fd1b5"},
    "water_source": {"color": "#2a8fc7", "fill": "#b3dcf2"},
    "heritage_site": {"color": "#9c4f1c", "fill": "#e8c3a5"},
}
LAYERS = {c.layer for c in CONSTRAINTS.values()}
CRS_NOTE = "坐标系：CGCS2000 3 度带高斯-克吕格投影\n中央子午线 123°E（EPSG:4550）\n示意图，无底图"


@dataclass
class Feature:
    layer: str
    id: int
    name: str
    geom: BaseGeometry  # EPSG:4550, clipped to the map window
    closest: BaseGeometry | None  # the point of the feature nearest to the site (EPSG:4550)


def legend_text(label: str, name: str | None, feature_id: int) -> str:
    """A legend entry names the feature; an unnamed one shows its number as a number, not as a name
    (issue 16 item 3: "乡道：900001114").

    >>> legend_text("乡道", None, 900001114)
    '乡道：未命名（编号 900001114）'
    >>> legend_text("乡道", "海岔线", 7)
    '乡道：海岔线'
    """
    return f"{label}：{name or f'未命名（编号 {feature_id}）'}"


def site_metric(report: dict[str, Any]) -> BaseGeometry:
    """The site of a report in EPSG:4550."""
    return reproject(shapely.geometry.shape(report["geometry"]), STORAGE_CRS, METRIC_CRS)


def map_radius(report: dict[str, Any]) -> float:
    """How far around the site the map reaches: the largest ring, and nearest features up to 3× that.

    >>> map_radius({"results": [{"required_distance_m": 500, "distance_m": 80.0},
    ...                         {"required_distance_m": 0, "distance_m": 40000.0}]})
    1650.0
    >>> map_radius({"results": [{"required_distance_m": 0, "distance_m": None}]})
    330.0
    """
    rings = [r["required_distance_m"] for r in report["results"] if r["required_distance_m"] > 0]
    largest = max([300.0, *rings])
    seen = [r["distance_m"] for r in report["results"] if r["distance_m"] is not None]
    return round(max([largest, *(min(d, 3 * largest) for d in seen)]) * 1.1, 1)


_FEATURE_SQL = f"""
SELECT t.id, t.name::text AS name,
       ST_AsBinary(ST_Intersection(ST_Transform(t.geom, {METRIC_SRID}), ST_Expand(s.m, :r))) AS clipped,
       ST_AsBinary(ST_ClosestPoint(ST_Transform(t.geom, {METRIC_SRID}), s.m)) AS closest
FROM {{table}} t, (SELECT ST_GeomFromWKB(:site, {METRIC_SRID}) AS m) s
WHERE t.id = ANY(:ids)
"""


def fetch_features(conn: Connection, report: dict[str, Any], radius: float | None = None) -> list[Feature]:
    """The nearest features the report names, read by layer and id (also if retired since the check)."""
    site = site_metric(report)
    radius = radius or map_radius(report)
    wanted: dict[str, set[int]] = {}
    for result in report["results"]:
        nearest = result.get("nearest")
        if nearest and nearest.get("layer") in LAYERS:
            wanted.setdefault(nearest["layer"], set()).add(int(nearest["id"]))
    out = []
    for layer, ids in sorted(wanted.items()):
        rows = conn.execute(text(_FEATURE_SQL.format(table=q(layer))),
                            {"r": radius * 1.5, "site": shapely.to_wkb(site), "ids": sorted(ids)}).all()
        out += [Feature(layer, row.id, row.name or "", shapely.from_wkb(bytes(row.clipped)),
                        shapely.from_wkb(bytes(row.closest)) if row.closest else None) for row in rows]
    return out


def fetch_village(conn: Connection, report: dict[str, Any], radius: float | None = None) -> BaseGeometry | None:
    """The outline of the site's village, clipped to the map window (None if the site is in no village)."""
    code = (report.get("village") or {}).get("code")
    if not code:
        return None
    wkb = conn.execute(text(
        f"SELECT ST_AsBinary(ST_Intersection(ST_Boundary(ST_Transform(geom, {METRIC_SRID})), "
        f"ST_Expand(ST_GeomFromWKB(:site, {METRIC_SRID}), :r))) "
        "FROM villages WHERE code = :code AND retired_at IS NULL LIMIT 1"),
        {"code": code, "site": shapely.to_wkb(site_metric(report)), "r": (radius or map_radius(report)) * 1.5},
    ).scalar()
    return shapely.from_wkb(bytes(wkb)) if wkb else None


def _rings(report: dict[str, Any], site: BaseGeometry) -> list[MapLayer]:
    by_distance: dict[float, list[dict[str, Any]]] = {}
    for r in report["results"]:
        if r["required_distance_m"] > 0:
            by_distance.setdefault(r["required_distance_m"], []).append(r)
    layers = []
    for distance, results in sorted(by_distance.items()):
        labels = "、".join(r["label"] for r in results[:4]) + ("等" if len(results) > 4 else "")
        violated = any(r["violated"] for r in results)
        layers.append(MapLayer(f"{distance:g} 米范围（{labels}）{'：有违反' if violated else ''}",
                               [site.buffer(distance, 64).exterior if site.geom_type == "Point"
                                else site.buffer(distance, 64).boundary],
                               color="#d62728" if violated else "#7f7f7f", width=0.9, style="--", zorder=4))
    return layers


def render_site_map(report: dict[str, Any], features: list[Feature], village: BaseGeometry | None = None,
                    size_px: tuple[int, int] = (1600, 1100)) -> bytes:
    """The PNG of the report's map."""
    site = site_metric(report)
    radius = map_radius(report)
    layers: list[MapLayer] = []
    if village is not None and not village.is_empty:
        name = (report.get("village") or {}).get("name") or "村界"
        layers.append(MapLayer(f"{name}界线", [village], color="#999999", width=0.8, style=":", zorder=1))
    by_key = {(f.layer, f.id): f for f in features}
    constraint_of = {c.layer: name for name, c in CONSTRAINTS.items()}
    annotations = []
    drawn: set[tuple[str, int]] = set()
    for result in report["results"]:
        nearest = result.get("nearest")
        feature = by_key.get((nearest["layer"], nearest["id"])) if nearest else None
        if feature is None or (feature.layer, feature.id) in drawn:
            continue
        drawn.add((feature.layer, feature.id))
        kind = constraint_of[feature.layer]
        zone = CONSTRAINTS[kind].areal
        layers.append(MapLayer(legend_text(result["label"], feature.name, feature.id), [feature.geom],
                               labels=[feature.name], zorder=2 if zone else 3, **STYLES[kind]))
        if feature.closest is not None and result["distance_m"]:
            start, end = shapely.ops.nearest_points(site, feature.closest)
            link = shapely.geometry.LineString([start, end])
            layers.append(MapLayer("", [link], color="#7a1f1f", width=0.6, style=":", legend=False, zorder=5))
            middle = link.interpolate(0.5, normalized=True)
            label = f"{result['distance_m']:,.0f} 米"
            if result.get("centreline_distance_m") is not None:  # the line ends on the centreline
                label = f"距边缘 {label}（中心线 {result['centreline_distance_m']:,.0f} 米）"
            annotations.append((middle.x, middle.y, label))
    layers += _rings(report, site)
    marker = MapLayer("选址位置", [site.representative_point()], color="#d62728", marker="*", size=90, zorder=9)
    if site.geom_type == "Point":
        layers.append(marker)
    else:
        layers.append(MapLayer("选址范围", [site], color="#d62728", fill="#ff9896", width=1.6, alpha=0.7, zorder=8))
        if site.length < radius / 20:  # too small to see at this scale: mark it too
            layers.append(marker)
    extent = site.buffer(radius).bounds
    return render_png(layers, extent, size_px=size_px, crs_note=CRS_NOTE, annotations=annotations)


def site_map(conn: Connection, report: dict[str, Any]) -> bytes:
    """Read the report's features and draw its map."""
    radius = map_radius(report)
    return render_site_map(report, fetch_features(conn, report, radius), fetch_village(conn, report, radius))
