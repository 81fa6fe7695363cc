"""Rules that depend on other layers: signs of a renamed or abolished place, inspection records of a moved
marker, households that lost or gained a service when a facility closed, opened or moved.

Each handler reads what changed from ``feature_history`` (the previous version against the new one) and
writes findings of its topic; an open finding for the same record and reason is not written twice.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from formats.srids import METRIC_SRID
from layers.compliance.siting import Change
from layers.coverage.radii import DEFAULTS, SOURCES, FacilitySource, radius_sql, township_sql, village_sql
from layers.gazetteer.signs import MISMATCH_SQL
from layers.siting.check import METRES_PER_DEGREE_MIN

# DOMAIN.md lists this rule without an article: it is the project's rule, the sign standard says what a sign shows
SIGN_BASIS = ("项目规则：地名标志应标示现行标准名称及其拼写（GB 17733-2008《地名 标志》；"
              "layers/gazetteer/signs.py）——更名或废止后，原标志与标准名称不符")
MARKER_BASIS = ("界桩位置经复测变更后，引用其原位置的联检记录须复核（《行政区域界线管理条例》第六条；"
                "民政部令第28号《行政区域界线联合检查办法》）")

_EXISTS = ("SELECT EXISTS (SELECT 1 FROM compliance_findings WHERE topic = :topic AND kind = :kind "
           "AND record_layer = :record_layer AND record_id = :record_id AND state <> 'resolved' "
           "AND detail = CAST(:detail AS jsonb))")
_INSERT = ("INSERT INTO compliance_findings (topic, kind, record_layer, record_id, record_name, change_id, "
           "cause_layer, cause_id, distance_before_m, distance_after_m, required_m, basis, detail, lon, lat) "
           "VALUES (:topic, :kind, :record_layer, :record_id, :record_name, :change_id, :cause_layer, :cause_id, "
           ":before, :after, :required, :basis, CAST(:detail AS jsonb), :lon, :lat)")


def _add(conn: Connection, change: Change, **f: Any) -> int:
    """Write a finding unless the same one (record, kind, detail) is still open; returns 1 if written."""
    values = {"record_name": None, "before": None, "after": None, "required": None, "lon": None, "lat": None,
              **f, "change_id": change.id, "cause_layer": change.source, "cause_id": change.feature_id,
              "detail": json.dumps(f.get("detail"), ensure_ascii=False, sort_keys=True, default=str)}
    if conn.execute(text(_EXISTS), values).scalar_one():
        return 0
    conn.execute(text(_INSERT), values)
    return 1


def _versions(conn: Connection, change: Change) -> tuple[Any, Any]:
    """The previous and the new history row (data, geometry as WKB) of a change; either may be None."""
    rows = conn.execute(text(
        "SELECT version, data, geom FROM feature_history WHERE layer = :l AND feature_id = :id "
        "AND version IN (:v - 1, :v) ORDER BY version"), {"l": change.source, "id": change.feature_id,
                                                           "v": change.version}).all()
    by_version = {r.version: r for r in rows}
    return by_version.get((change.version or 0) - 1), by_version.get(change.version)


def signs(conn: Connection, changes: list[Change]) -> int:
    """A place renamed or abolished (or its spelling changed): its signs that no longer match."""
    ids = sorted({c.feature_id for c in changes})
    last = {c.feature_id: c for c in changes}
    rows = conn.execute(text(f"SELECT m.*, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat FROM ({MISMATCH_SQL}) m "
                             "JOIN place_name_signs s ON s.id = m.sign_id WHERE m.place_id = ANY(:ids)"),
                        {"township": None, "ids": ids}).mappings().all()
    added = 0
    for r in rows:
        should = None if r["status"] == "historical" else r["current_name"]
        added += _add(conn, last[r["place_id"]], topic="sign", kind="stale_sign", record_layer="place_name_signs",
                      record_id=r["sign_id"], record_name=r["inscription"], basis=SIGN_BASIS, lon=r["lon"],
                      lat=r["lat"], detail={"inscription": r["inscription"], "should_read": should,
                                            "should_read_pinyin": r["current_pinyin"] if should else None,
                                            "place_id": r["place_id"], "abolished": should is None})
    return added


def markers(conn: Connection, changes: list[Change]) -> int:
    """A marker moved (re-surveyed): the inspection records and campaigns that refer to its old position."""
    added = 0
    for change in changes:
        old, new = _versions(conn, change)
        if old is None or new is None:
            continue
        moved = conn.execute(text(f"SELECT ST_Distance(ST_Transform(CAST(:a AS geometry), {METRIC_SRID}), "
                                  f"ST_Transform(CAST(:b AS geometry), {METRIC_SRID}))"), {"a": old.geom, "b": new.geom}
                             ).scalar_one()
        if not moved or moved <= 0.001:  # DOMAIN.md §4: moves ≤ 0.001 m are no move
            continue
        records = conn.execute(text(
            "SELECT r.id, r.campaign_id, c.name AS campaign FROM inspection_records r "
            "JOIN inspection_campaigns c ON c.id = r.campaign_id WHERE r.marker_id = :id AND r.retired_at IS NULL "
            "AND (r.marker_version IS NULL OR r.marker_version < :v) ORDER BY r.id"),
            {"id": change.feature_id, "v": change.version}).all()
        point = conn.execute(text("SELECT ST_X(CAST(:g AS geometry)), ST_Y(CAST(:g AS geometry))"),
                             {"g": new.geom}).one()
        added += _add(conn, change, topic="marker", kind="marker_moved", record_layer="boundary_markers",
                      record_id=change.feature_id, record_name=new.data.get("number"), before=0.0,
                      after=round(moved, 3), basis=MARKER_BASIS, lon=point[0], lat=point[1],
                      detail={"version": change.version, "records": [r.id for r in records],
                              "campaigns": sorted({f"{r.campaign_id} {r.campaign}" for r in records})})
    return added


def _radius(source: FacilitySource, data: dict[str, Any] | None) -> float | None:
    """A facility version's service radius, or None when it serves none (retired, unit-serving type)."""
    if data is None or data.get("retired_at") is not None:
        return None
    default = DEFAULTS.get(data.get(source.type_column) or "")
    if default is None or default.radius_m is None:
        return None
    return float(data.get("service_radius_m") or default.radius_m)


_WITHIN = ("(CAST(:{g} AS geometry) IS NOT NULL AND ST_DWithin(h.geom, CAST(:{g} AS geometry), :{r} / {mpd}) "
           f"AND ST_Distance(ST_Transform(h.geom, {METRIC_SRID}), "
           f"ST_Transform(CAST(:{{g}} AS geometry), {METRIC_SRID})) <= :{{r}})")


def coverage(conn: Connection, changes: list[Change]) -> int:
    """A facility opened, closed or moved: households now without (or newly with) a facility of that type
    within reach, or, for a type serving its village or township, in their unit. County-wide types are
    not followed (one such facility covers everyone, whatever changes).
    """
    added = 0
    for change in changes:
        source = next(s for s in SOURCES if s.layer == change.source)
        old, new = _versions(conn, change)
        r_old, r_new = _radius(source, old.data if old else None), _radius(source, new.data if new else None)
        if r_old is None and r_new is None:
            added += _unit_coverage(conn, change, source, old, new)
            continue
        kind_of = (new or old).data.get(source.type_column)
        own = (new or old).data.get("service_radius_m")  # a facility's own radius, else its type's default
        basis = f"该设施登记的服务半径 {own:g} m" if own else DEFAULTS[kind_of].basis
        within_old = _WITHIN.format(g="og", r="ro", mpd=METRES_PER_DEGREE_MIN)
        within_new = _WITHIN.format(g="ng", r="rn", mpd=METRES_PER_DEGREE_MIN)
        others = (f"EXISTS (SELECT 1 FROM {source.layer} f WHERE f.id <> :fid AND f.retired_at IS NULL "
                  f"AND f.{source.type_column} = :type AND {radius_sql(source)} IS NOT NULL "
                  f"AND ST_DWithin(f.geom, h.geom, {radius_sql(source)} / {METRES_PER_DEGREE_MIN}) "
                  f"AND ST_Distance(ST_Transform(f.geom, {METRIC_SRID}), ST_Transform(h.geom, {METRIC_SRID})) "
                  f"<= {radius_sql(source)})")
        rows = conn.execute(text(
            f"SELECT h.id, h.village_code, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, {within_new} AS now_in "
            f"FROM households h WHERE h.retired_at IS NULL AND ({within_old}) <> ({within_new}) AND NOT {others}"),
            {"og": old.geom if r_old else None, "ro": r_old or 0.0, "ng": new.geom if r_new else None,
             "rn": r_new or 0.0, "fid": change.feature_id, "type": kind_of}).all()
        for r in rows:
            added += _add(conn, change, topic="coverage", kind="coverage_gained" if r.now_in else "coverage_lost",
                          record_layer="households", record_id=r.id, required=r_new if r.now_in else r_old,
                          basis=basis, lon=r.lon, lat=r.lat,
                          detail={"facility_type": kind_of, "village_code": r.village_code,
                                  "facility_version": change.version})
    return added


# a unit-serving facility's unit (its own code column, else the polygon it stands in) and its households
_UNITS = {"village": ("villages", "h.village_code"), "township": ("townships", "left(h.village_code, 9)")}


def _unit(conn: Connection, source: FacilitySource, scope: str, version: Any) -> str | None:
    """The code of the village (township) a live unit-serving facility version serves; None when retired."""
    if version is None or version.data.get("retired_at") is not None:
        return None
    columns = (source.village_column,) if scope == "village" else source.township_columns
    own = next((str(version.data[c]) for c in columns if version.data.get(c)), None)
    if own:
        return own if scope == "village" else own[:9]
    table = _UNITS[scope][0]
    return conn.execute(text(f"SELECT code FROM {table} WHERE retired_at IS NULL "
                             "AND ST_Covers(geom, CAST(:g AS geometry)) ORDER BY code LIMIT 1"),
                        {"g": version.geom}).scalar_one_or_none()


def _unit_coverage(conn: Connection, change: Change, source: FacilitySource, old: Any, new: Any) -> int:
    """A facility serving its village (township) opened, closed or moved to another unit: the households of
    the unit it left lost it, those of the unit it came to gained it — unless another live facility of the
    type serves that unit.
    """
    kind_of = (new or old).data.get(source.type_column)
    default = DEFAULTS.get(kind_of or "")
    if default is None or default.scope not in _UNITS:
        return 0
    before, after = _unit(conn, source, default.scope, old), _unit(conn, source, default.scope, new)
    if before == after:
        return 0
    household_unit = _UNITS[default.scope][1]
    facility_unit = village_sql(source) if default.scope == "village" else township_sql(source)
    added = 0
    for unit, kind in ((before, "coverage_lost"), (after, "coverage_gained")):
        if unit is None:
            continue
        rows = conn.execute(text(
            f"SELECT h.id, h.village_code, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat FROM households h "
            f"WHERE h.retired_at IS NULL AND {household_unit} = :unit AND NOT EXISTS (SELECT 1 FROM {source.layer} f "
            f"WHERE f.id <> :fid AND f.retired_at IS NULL AND f.{source.type_column} = :type "
            f"AND {facility_unit} = :unit) ORDER BY h.id"),
            {"unit": unit, "fid": change.feature_id, "type": kind_of}).all()
        for r in rows:
            added += _add(conn, change, topic="coverage", kind=kind, record_layer="households", record_id=r.id,
                          basis=default.basis, lon=r.lon, lat=r.lat,
                          detail={"facility_type": kind_of, "village_code": r.village_code,
                                  "facility_version": change.version, default.scope: unit})
    return added


# the layer-specific rules, and the coverage rule for every layer that declares it counts in coverage
HANDLERS = (("place_names", signs), ("boundary_markers", markers), *((s.layer, coverage) for s in SOURCES))


def handle(conn: Connection, changes: list[Change]) -> dict[str, int]:
    out: dict[str, int] = {}
    for layer, handler in HANDLERS:
        mine = [c for c in changes if c.source == layer]
        if mine:
            out[layer] = handler(conn, mine)
    return out
