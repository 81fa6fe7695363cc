"""Keep the stored service areas current: dirty markers and the refresh job.

Every write to ``roads`` or a facility layer that counts in coverage (``radii.WATCHED``, from the layers'
declarations) appends a ``feature_history`` row; a trigger on that table (migration 0007, re-created by
``install_layer`` for each new facility layer) upserts ``coverage_dirty(layer, changed_at)`` — so edits
made through the API, in QGIS or by a bulk load all mark it. Changing the network parameters marks
``coverage_parameters``. :func:`refresh` (one transaction, one refresh at a time) rebuilds the graph
when roads or parameters changed, recomputes the straight-line and network service areas of the
facility layers concerned (all of them after a graph rebuild), and deletes exactly the markers it
read first: a change committed meanwhile keeps its marker and is picked up by the next run.

Call :func:`refresh_job` from a CLI command or a scheduler (e.g. every few minutes); it is a no-op
when nothing is dirty.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from layers.coverage import network
from layers.coverage.euclidean import buffer_sql
from layers.coverage.methods import MODES, NO_ACCESS_CLASSES
from layers.coverage.radii import SOURCES
from layers.coverage.selection import Selection, facilities_cte
from layers.errors import InvalidInput
from layers.roles import Actor

PARAMETERS = "coverage_parameters"
LOCK_KEY = 90_0007  # pg_advisory_xact_lock: one refresh at a time


def load_params(conn: Connection) -> dict[str, Any]:
    """Network parameters: shipped defaults updated by the stored row (scope ``network``)."""
    stored = conn.execute(text("SELECT params FROM coverage_parameters WHERE scope = 'network'")).scalar()
    params = json.loads(json.dumps(network.DEFAULT_PARAMS))
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and isinstance(params.get(key), dict):
            params[key].update(value)
        else:
            params[key] = value
    return params


def save_params(conn: Connection, params: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Validate and store network parameters; marks the coverage dirty."""
    merged = load_params(conn)
    for mode in MODES:
        given = params.get(mode) or {}
        if not isinstance(given, dict):
            raise InvalidInput(f"{mode} 应为对象", f"{mode} must be an object", field=mode)
        merged[mode].update({k: v for k, v in given.items() if k in ("speed_kmh", "excluded_classes",
                                                                     "class_speeds_kmh")})
        speeds = [merged[mode]["speed_kmh"], *merged[mode]["class_speeds_kmh"].values()]
        if not all(isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s <= 200 for s in speeds):
            raise InvalidInput("速度应为 0–200 km/h 之间的数值", "speeds must be numbers in (0, 200] km/h", field=mode)
        unknown = (set(merged[mode]["excluded_classes"]) | set(merged[mode]["class_speeds_kmh"])) - set(
            network.ROAD_CLASSES)
        if unknown:
            raise InvalidInput(f"未知公路等级：{'、'.join(sorted(unknown))}", "unknown road class", field=mode)
    if "display_buffer_m" in params:
        value = params["display_buffer_m"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 1000:
            raise InvalidInput("display_buffer_m 应为 0–1000 m", "display_buffer_m must be in (0, 1000]",
                               field="display_buffer_m")
        merged["display_buffer_m"] = float(value)
    conn.execute(text(
        "INSERT INTO coverage_parameters (scope, params, updated_at, updated_by) VALUES ('network', "
        "CAST(:p AS jsonb), now(), :by) ON CONFLICT (scope) DO UPDATE SET params = EXCLUDED.params, "
        "updated_at = now(), updated_by = EXCLUDED.updated_by"),
        {"p": json.dumps(merged, ensure_ascii=False), "by": actor.name})
    conn.execute(text("INSERT INTO coverage_dirty (layer, changed_at) VALUES (:l, clock_timestamp()) "
                      "ON CONFLICT (layer) DO UPDATE SET changed_at = EXCLUDED.changed_at"), {"l": PARAMETERS})
    return merged


def status(conn: Connection) -> dict[str, Any]:
    dirty = {r[0]: r[1].isoformat() for r in conn.execute(text("SELECT layer, changed_at FROM coverage_dirty"))}
    last = conn.execute(text("SELECT started_at, finished_at, detail FROM coverage_refreshes "
                             "ORDER BY id DESC LIMIT 1")).first()
    return {"dirty": dirty, "stale": bool(dirty) or last is None,
            "last_refresh": None if last is None else {"started_at": last[0].isoformat(),
                                                        "finished_at": last[1].isoformat(), **last[2]}}


def _facility_layer(conn: Connection, source: Any, params: dict[str, Any]) -> dict[str, int]:
    """Recompute the straight-line and network service areas of one facility layer."""
    sel = Selection(tuple(source.types))
    p = {"types": list(sel.facility_types), "layer": source.layer}
    conn.execute(text("DELETE FROM coverage_service_areas WHERE facility_layer = :layer"), p)
    conn.execute(text("DELETE FROM coverage_network_reach WHERE facility_layer = :layer"), p)
    conn.execute(text(f"CREATE TEMP TABLE cov_fac ON COMMIT DROP AS WITH {facilities_cte(sel)} SELECT * FROM fac"), p)
    out = {"euclidean": conn.execute(text(
        "INSERT INTO coverage_service_areas (facility_layer, facility_id, facility_type, mode, radius_m, geom) "
        f"SELECT f.layer, f.id, f.type, 'euclidean', f.r, CASE WHEN f.r IS NOT NULL THEN {buffer_sql('f')} "
        "WHEN f.scope = 'township' THEN (SELECT ST_Multi(t.geom) FROM townships t WHERE t.code = f.township "
        "AND t.retired_at IS NULL LIMIT 1) "
        "WHEN f.scope = 'village' THEN (SELECT ST_Multi(v.geom) FROM villages v WHERE v.code = f.village "
        "AND v.retired_at IS NULL LIMIT 1) END FROM cov_fac f")).rowcount}
    for mode in MODES:
        conn.execute(text(f"CREATE TEMP TABLE cov_access ON COMMIT DROP AS {network.access_sql(mode, 'cov_fac')}"),
                     {"no_access": NO_ACCESS_CLASSES})
        conn.execute(text("CREATE TEMP TABLE cov_reach (layer text, id bigint, node bigint, cost_m float8) "
                          "ON COMMIT DROP"))
        network.compute_reach(conn, mode, "cov_access", "cov_reach")
        conn.execute(text("CREATE INDEX ON cov_reach (layer, id)"))
        out[mode] = conn.execute(text(
            "INSERT INTO coverage_service_areas (facility_layer, facility_id, facility_type, mode, radius_m, "
            "edge_id, edge_fraction, access_m, geom) "
            "SELECT a.layer, a.id, a.type, :mode, a.r, a.edge_id, a.t, a.access_m, g.geom FROM cov_access a "
            f"LEFT JOIN ({network.polygon_sql(mode, 'cov_access', 'cov_reach', params['display_buffer_m'])}) g "
            "ON g.layer = a.layer AND g.id = a.id"), {"mode": mode}).rowcount
        conn.execute(text("INSERT INTO coverage_network_reach (facility_layer, facility_id, mode, node, cost_m) "
                          "SELECT layer, id, :mode, node, cost_m FROM cov_reach"), {"mode": mode})
        conn.execute(text("DROP TABLE cov_access, cov_reach"))
    conn.execute(text("DROP TABLE cov_fac"))
    return out


def refresh(conn: Connection, force: bool = False) -> dict[str, Any]:
    """Recompute what the dirty markers ask for (everything when ``force``); returns a summary."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')")).scalar():
        raise InvalidInput("路网分析需要数据库扩展 pgRouting：请在数据库服务器上安装（Debian：postgresql-15-pgrouting）"
                           "并执行 CREATE EXTENSION pgrouting", "the pgrouting extension is not installed")
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    seen = conn.execute(text("SELECT layer, changed_at FROM coverage_dirty")).all()
    dirty = {layer for layer, _ in seen}
    has_edges = conn.execute(text("SELECT EXISTS (SELECT 1 FROM coverage_network_edges)")).scalar_one()
    if not force and not dirty and has_edges:
        return {"status": "clean"}
    params = load_params(conn)
    detail: dict[str, Any] = {"status": "refreshed", "dirty": sorted(dirty), "force": force}
    rebuild = force or not has_edges or bool({"roads", PARAMETERS} & dirty)
    if rebuild:
        t = time.perf_counter()
        detail["edges"] = network.build_edges(conn, params)
        detail["edges_seconds"] = round(time.perf_counter() - t, 3)
    for source in SOURCES:
        if rebuild or source.layer in dirty:
            t = time.perf_counter()
            detail[source.layer] = _facility_layer(conn, source, params)
            detail[f"{source.layer}_seconds"] = round(time.perf_counter() - t, 3)
    for layer, changed_at in seen:
        conn.execute(text("DELETE FROM coverage_dirty WHERE layer = :l AND changed_at = :c"),
                     {"l": layer, "c": changed_at})
    detail["seconds"] = round(time.perf_counter() - t0, 3)
    conn.execute(text("INSERT INTO coverage_refreshes (started_at, detail) VALUES (:s, CAST(:d AS jsonb))"),
                 {"s": started, "d": json.dumps(detail)})
    return detail


def refresh_job(engine: Engine, force: bool = False) -> dict[str, Any]:
    """The background job: one transaction on its own connection (jit off, as the service runs)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL jit = off"))
        return refresh(conn, force)
