"""The generic feature store: list, read, create, update, retire, history and restore.

Works for any layer of the registry. Responses are assembled by PostGIS in one statement
(GeoJSON text out), because building a Python object per feature costs ~10× the query; lists
join the text each feature keeps in ``listed_features`` (``layers.listed``) instead of building it.
Writes carry the acting user and reason into the database triggers (``layers.history``);
the stale-write check is part of the UPDATE itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import psycopg
import shapely
from psycopg.adapt import Loader
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DBAPIError

from formats.srids import STORAGE_SRID
from layers.errors import InvalidInput, NotFound, VersionConflict
from layers.history import OPERATION_TITLES
from layers.labels import account_title
from layers.masks import output_masks
from layers.registry import FieldSpec, LayerSpec
from layers.roles import Actor


def q(name: str) -> str:
    """Quote an identifier that comes from the registry (never from a request)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class ListQuery:
    bbox: tuple[float, float, float, float] | None = None
    limit: int | None = 100
    offset: int = 0
    sort: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    row_filter: str | None = None  # an extra SQL condition from the privacy rules (alias t)
    # an extra condition with its own bound parameters (alias t), e.g. a CQL2 filter compiled by SQLAlchemy
    condition: tuple[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class WriteContext:
    """What a layer's ``prepare_write`` hook may use: the open transaction, the data cipher, the feature
    being updated (None on creation), who writes, the checked geometry written with it (None if
    unchanged), and ``guard``, which a uniqueness check calls first (the service refuses callers over
    their limit).
    """

    conn: Connection
    cipher: Any
    feature_id: int | None = None
    actor: Actor | None = None
    geom: BaseGeometry | None = None
    guard: Callable[[], None] | None = None
    # values (e.g. ID-number hashes) the caller found unregistered among live rows in this transaction, in
    # one query for a whole file (``layers.imports``): a hook need not ask again for each of them
    checked_unique: frozenset[Any] = frozenset()


@dataclass(frozen=True)
class ProposedWrite:
    """A write as a layer's ``validate_write`` hook sees it: inside its transaction, before it is made."""

    conn: Connection
    operation: str  # "insert" | "update" | "restore"
    feature_id: int | None  # None: a new feature
    properties: dict[str, Any]  # what is set (a restore: the restored version's properties)
    geom: BaseGeometry | None  # the new geometry; None: unchanged
    actor: Actor
    workflow: str | None = None  # the layer's own workflow that makes it (e.g. "resurvey"); None: generic


def validate_write(spec: LayerSpec, write: ProposedWrite) -> None:
    """Run the layer's ``validate_write`` hook, if it declares one."""
    if spec.validate_write is not None:
        spec.validate_write(write)


# --- building SQL from the registry ----------------------------------------------------------

def property_sql(spec: LayerSpec, alias: str = "t", expressions: dict[str, str] | None = None) -> str:
    """A json expression with every property of a row, in field order; ``expressions`` override columns
    (masking); ``{t}`` in an expression stands for the table alias.

    ``row_to_json`` of a one-row subselect: no argument limit, and about half the cost of
    ``jsonb_build_object`` (bench/bench_features.py).
    """
    expressions = {name: sql.replace("{t}", alias) for name, sql in (expressions or {}).items()}
    columns = ", ".join(f"{expressions.get(f.name, f'{alias}.{q(f.name)}')} AS {q(f.name)}" for f in spec.fields)
    return f"(SELECT row_to_json(_props) FROM (SELECT {columns}) _props)"


def feature_sql(spec: LayerSpec, alias: str = "t", expressions: dict[str, str] | None = None,
                geometry: str | None = None) -> str:
    """A GeoJSON Feature as text, concatenated: the geometry text is not parsed again as json.

    ``geometry``: the geometry's GeoJSON text over ``{g}`` (the geometry column), e.g. in another CRS.
    """
    geometry_text = (geometry or "ST_AsGeoJSON({g}, 9, 0)").replace("{g}", f"{alias}.geom")
    return (f"""'{{"type":"Feature","id":' || {alias}.id || ',"geometry":' """
            f"""|| coalesce({geometry_text}, 'null') || ',"properties":' """
            f"""|| {property_sql(spec, alias, expressions)}::text || '}}'""")


LISTED_TABLE = "listed_features"  # every feature as lists show it (masked), kept by triggers (layers.listed)


def listed_join(spec: LayerSpec, alias: str) -> str:
    """The join that brings ``alias``'s listed feature text in (as ``{alias}_listed``): one index lookup
    per feature of the page — as a plain join, the planner hashed the whole table for 1,000 rows.
    """
    layer = spec.name.replace("'", "''")
    return (f"LEFT JOIN LATERAL (SELECT l.feature FROM {LISTED_TABLE} l "
            f"WHERE l.layer = '{layer}' AND l.id = {alias}.id LIMIT 1) {alias}_listed ON true")


def listed_feature_sql(spec: LayerSpec, alias: str) -> str:
    """A GeoJSON Feature as text as lists show it, with :func:`listed_join`; a row without its text
    (written while the layer's triggers were off) is built here, masked alike.
    """
    return f"coalesce({alias}_listed.feature, {feature_sql(spec, alias, output_masks(spec))})"


def _refuse_personal(f: FieldSpec, verb: str, verb_en: str) -> None:
    # a match on a masked value would confirm it (is this 张三's phone?) without a reveal or its audit
    if f.personal:
        raise InvalidInput(f"不能按个人信息字段“{f.label}”{verb}：请按村、类别等筛选后逐户查看",
                           f"cannot {verb_en} by the personal field {f.name!r}", field=f.name)


def _sort_sql(spec: LayerSpec, sort: str | None, alias: str) -> str:
    if not sort:
        return f"{alias}.id"
    names = {f.name: f for f in spec.fields}
    parts = []
    for item in sort.split(","):
        item = item.strip()
        desc = item.startswith("-")
        name = item.lstrip("+-")
        if name not in names:
            raise InvalidInput(f"不能按“{name}”排序：本图层没有该字段", f"cannot sort by unknown field {name!r}",
                               field="sort")
        _refuse_personal(names[name], "排序", "sort")
        parts.append(f"{alias}.{q(name)}{' DESC' if desc else ''}")
    return ", ".join([*parts, f"{alias}.id"])


INNER_MARGIN = 1e-4  # degrees, ≈ 10 m: far beyond the spatial index's single-precision error (< 1e-5)


def _bbox_sql(spec: LayerSpec, bbox: tuple[float, float, float, float], params: dict[str, Any],
              counting: bool) -> str:
    envelope = f"ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, {STORAGE_SRID})"
    minx, miny, maxx, maxy = bbox
    if not (counting and spec.geometry_type == "Point" and maxx > minx and maxy > miny):
        return f"ST_Intersects(t.geom, {envelope})"  # (a box of no area is no polygon: as pages say)
    # A point is in the box exactly when its coordinates are (the index's single-precision boxes are
    # up to a metre out): as ST_Intersects, at half the cost per row; points well inside the box skip
    # even that. Only for counting: the planner takes the coordinate ranges for independent, expects
    # one row, and would sort the whole box for a page instead of walking the primary key.
    exact = "ST_X(t.geom) BETWEEN :minx AND :maxx AND ST_Y(t.geom) BETWEEN :miny AND :maxy"
    if maxx - minx > 2 * INNER_MARGIN and maxy - miny > 2 * INNER_MARGIN:
        params.update(iminx=minx + INNER_MARGIN, iminy=miny + INNER_MARGIN,
                      imaxx=maxx - INNER_MARGIN, imaxy=maxy - INNER_MARGIN)
        exact = f"(t.geom && ST_MakeEnvelope(:iminx, :iminy, :imaxx, :imaxy, {STORAGE_SRID}) OR ({exact}))"
    return f"t.geom && {envelope} AND {exact}"


def _filter_sql(spec: LayerSpec, query: ListQuery, params: dict[str, Any], counting: bool = False) -> str:
    clauses = ["t.retired_at IS NULL"]
    if query.row_filter:
        clauses.append(f"({query.row_filter})")
    if query.bbox:
        params.update(zip(("minx", "miny", "maxx", "maxy"), query.bbox, strict=True))
        clauses.append(_bbox_sql(spec, query.bbox, params, counting))
    if query.condition:
        clauses.append(f"({query.condition[0]})")
        params.update(query.condition[1])
    fields = {f.name: f for f in spec.fields}
    for i, (name, value) in enumerate(query.filters.items()):
        f = fields.get(name)
        if f is None:
            raise InvalidInput(f"不能按“{name}”筛选：本图层没有该字段", f"unknown filter field {name!r}",
                               field=name)
        _refuse_personal(f, "筛选", "filter")
        params[f"f{i}"] = value
        column = f"t.{q(name)}"
        if f.type == "array":
            clauses.append(f":f{i} = ANY({column})")
        elif f.type == "string":
            clauses.append(f"{column} = :f{i}")
        else:
            clauses.append(f"{column}::text = :f{i}")
    return " AND ".join(clauses)


# --- reading ---------------------------------------------------------------------------------

class Utf8Bytes(Loader):
    """Keep a text value as the UTF-8 bytes PostgreSQL sent (no decode here, no encode for HTTP)."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


@contextmanager
def planned_each_time(conn: Connection) -> Iterator[None]:
    """Statements run inside are not prepared by psycopg, so PostgreSQL plans each one with its actual
    parameters: a cached generic plan cannot tell a 5-km box from the whole county (2× slower here).
    Same effect as ``SET LOCAL plan_cache_mode = force_custom_plan``, without that round trip.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    saved = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = saved


_BIND_PARAM = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # what SQLAlchemy's text() reads as a parameter


@lru_cache(maxsize=512)
def driver_sql(sql: str) -> str:
    """``sql`` with its ``:name`` parameters in the driver's own ``%(name)s`` form (``%`` doubled)."""
    return _BIND_PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def _row(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """The one row of ``sql`` (texts as the UTF-8 bytes PostgreSQL sent), planned with these parameters.

    Run by the driver itself on ``conn``'s connection (in its transaction, if any): the row holds one
    large text, and SQLAlchemy's statement and result handling took a fifth of a page's time in the API.
    """
    raw = conn.connection.driver_connection
    assert raw is not None  # a live psycopg connection while ``conn`` is open
    statement = driver_sql(sql)
    try:
        with raw.cursor() as cursor:
            cursor.adapters.register_loader("text", Utf8Bytes)
            row = cursor.execute(statement, params, prepare=False).fetchone()
    except psycopg.Error as e:
        if raw.closed:
            conn.invalidate()  # as SQLAlchemy does: a lost connection is not handed out again
        # as SQLAlchemy wraps it, so that the app's handlers answer bad input with a 4xx as elsewhere
        raise DBAPIError.instance(statement, params, e, psycopg.Error) from e
    assert row is not None  # aggregates: always one row
    return tuple(row)


def with_cte(sql: str, cte: str) -> str:
    """``sql`` with one more common table expression (``name AS (…)``) in front of its own."""
    body = sql.lstrip()
    if body[:4].upper() == "WITH" and body[4:5].isspace():
        return f"WITH {cte},{body[4:]}"
    return f"WITH {cte} {body}"


def list_features(conn: Connection, spec: LayerSpec, query: ListQuery,
                  also: tuple[str, dict[str, Any]] | None = None, geometry: str | None = None) -> bytes:
    """A GeoJSON FeatureCollection (UTF-8 bytes) with ``numberMatched``/``numberReturned``, personal
    fields masked as in every list. PostGIS joins the features; the three fields around them are
    added here (a 500 kB text concatenated in SQL was copied once per ``||``).

    ``also``: a CTE and its parameters run by the same statement (the audit record of this read).
    ``geometry``: as in :func:`feature_sql` (another CRS); the features are then built here, masked alike.
    """
    params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}  # limit None = all
    where = _filter_sql(spec, query, params)
    table = q(spec.table.name)
    feature_text = (feature_sql(spec, "p", output_masks(spec), geometry) if geometry
                    else listed_feature_sql(spec, "p"))
    sql = f"""
        WITH page AS (
            SELECT t.* FROM {table} t WHERE {where}
            ORDER BY {_sort_sql(spec, query.sort, 't')} LIMIT :limit OFFSET :offset
        )
        SELECT (SELECT count(*) FROM {table} t WHERE {_filter_sql(spec, query, params, counting=True)}), count(*),
               coalesce(string_agg({feature_text}, ','
                                   ORDER BY {_sort_sql(spec, query.sort, 'p')}), '')
        FROM page p {'' if geometry else listed_join(spec, 'p')}"""
    if also:
        sql = with_cte(sql, also[0])
        params.update(also[1])
    return collection_bytes(*_row(conn, sql, params))


def collection_bytes(matched: int, returned: int, features: bytes) -> bytes:
    """The FeatureCollection around ``features`` (GeoJSON Feature texts joined by commas)."""
    return b'{"type":"FeatureCollection","numberMatched":%d,"numberReturned":%d,"features":[%b]}' % (
        matched, returned, features)


def get_feature(conn: Connection, spec: LayerSpec, feature_id: int,
                expressions: dict[str, str] | None = None) -> tuple[str, int]:
    """One Feature (GeoJSON text) and its version; retired features are not found."""
    row = conn.execute(text(
        f"SELECT {feature_sql(spec, 't', expressions)}::text, t.version, t.retired_at IS NOT NULL "
        f"FROM {q(spec.table.name)} t WHERE t.id = :id"), {"id": feature_id}).first()
    if row is None:
        raise NotFound(f"{spec.title}中没有编号为 {feature_id} 的要素", f"{spec.name}/{feature_id} not found")
    if row[2]:
        raise NotFound(f"{spec.title}编号 {feature_id} 的要素已注销（可在历史中查看并恢复）",
                       f"{spec.name}/{feature_id} is retired", retired=True)
    return row[0], row[1]


def current_version(conn: Connection, spec: LayerSpec, feature_id: int) -> tuple[int, bool] | None:
    row = conn.execute(text(f"SELECT version, retired_at IS NOT NULL FROM {q(spec.table.name)} "
                            "WHERE id = :id"), {"id": feature_id}).first()
    return (row[0], row[1]) if row else None


# --- writing ---------------------------------------------------------------------------------

def set_actor(conn: Connection, actor: Actor, reason: str | None, operation: str | None = None) -> None:
    """Hand who/why/what to the history triggers for the rest of this transaction."""
    conn.execute(text("SELECT set_config('gis.user', :user, true), set_config('gis.reason', :reason, true), "
                      "set_config('gis.operation', :operation, true), set_config('gis.client', :client, true)"),
                 {"user": actor.name, "reason": reason or "", "operation": operation or "",
                  "client": actor.address or ""})


def _value_sql(spec: LayerSpec, f: FieldSpec, param: str) -> str:
    column_type = spec.table.columns[f.name].type
    if isinstance(column_type, JSONB):
        return f"CAST(:{param} AS jsonb)"
    if isinstance(column_type, ARRAY):
        return f"CAST(:{param} AS text[])"
    return f":{param}"


def _bind(spec: LayerSpec, name: str, value: Any) -> Any:
    if isinstance(spec.table.columns[name].type, JSONB) and value is not None:
        return json.dumps(value, ensure_ascii=False)
    return value


def _geometry_param(geom: BaseGeometry) -> bytes:
    return shapely.to_wkb(shapely.force_2d(geom))


def create_feature(conn: Connection, spec: LayerSpec, properties: dict[str, Any], geom: BaseGeometry,
                   actor: Actor, reason: str | None = None, source: str = "user") -> tuple[int, int]:
    """Insert a checked feature; returns (id, version)."""
    validate_write(spec, ProposedWrite(conn, "insert", None, properties, geom, actor))
    set_actor(conn, actor, reason)
    fields = {f.name: f for f in spec.stored_fields}
    names = [n for n in properties if n in fields]
    columns = ", ".join([*(q(n) for n in names), "source", "geom"])
    values = ", ".join([*(_value_sql(spec, fields[n], f"v_{n}") for n in names), ":source",
                        f"ST_GeomFromWKB(:wkb, {STORAGE_SRID})"])
    params = {f"v_{n}": _bind(spec, n, properties[n]) for n in names}
    params.update(source=source, wkb=_geometry_param(geom))
    row = conn.execute(text(f"INSERT INTO {q(spec.table.name)} ({columns}) VALUES ({values}) "
                            "RETURNING id, version"), params).one()
    return row[0], row[1]


def no_row_error(conn: Connection, spec: LayerSpec, feature_id: int, expected: int) -> Exception:
    state = current_version(conn, spec, feature_id)
    if state is None:
        return NotFound(f"{spec.title}中没有编号为 {feature_id} 的要素", f"{spec.name}/{feature_id} not found")
    version, retired = state
    if retired and version == expected:
        return NotFound(f"{spec.title}编号 {feature_id} 的要素已注销", f"{spec.name}/{feature_id} is retired")
    return VersionConflict(
        f"此要素已被他人修改：您编辑的是第 {expected} 版，当前为第 {version} 版。请重新加载后再修改。",
        f"version conflict: expected {expected}, current {version}", current_version=version)


def require_version(conn: Connection, spec: LayerSpec, feature_id: int, expected_version: int) -> None:
    """Lock the row and refuse the write now if it is missing, retired or not at ``expected_version``:
    a write refused anyway must not first reach the checks that answer about other rows (uniqueness).
    The UPDATE checks the version again; the lock keeps the two in agreement.
    """
    row = conn.execute(text(f"SELECT version, retired_at IS NOT NULL FROM {q(spec.table.name)} "
                            "WHERE id = :id FOR UPDATE"), {"id": feature_id}).first()
    if row is None or row[1] or row[0] != expected_version:
        raise no_row_error(conn, spec, feature_id, expected_version)


def update_feature(conn: Connection, spec: LayerSpec, feature_id: int, expected_version: int,
                   properties: dict[str, Any], geom: BaseGeometry | None, actor: Actor,
                   reason: str | None = None, replace: bool = False, workflow: str | None = None) -> int:
    """Apply a change if the row is still at ``expected_version``; returns the new version.

    ``replace`` (PUT) sets every editable field: those not given become NULL or their default.
    ``workflow`` names the layer's own workflow making the change, for its ``validate_write`` hook.
    """
    fields = {f.name: f for f in spec.stored_fields}
    # a PUT empties what it does not give: the hook sees the fields as they will be
    proposed = {**dict.fromkeys(fields), **properties} if replace else properties
    validate_write(spec, ProposedWrite(conn, "update", feature_id, proposed, geom, actor, workflow))
    set_actor(conn, actor, reason)
    assignments: list[str] = []
    params: dict[str, Any] = {"id": feature_id, "expected": expected_version}
    for name, f in fields.items():
        if name in properties:
            assignments.append(f"{q(name)} = {_value_sql(spec, f, f'v_{name}')}")
            params[f"v_{name}"] = _bind(spec, name, properties[name])
        elif replace:
            assignments.append(f"{q(name)} = {'DEFAULT' if f.has_default else 'NULL'}")
    if geom is not None:
        assignments.append(f"geom = ST_GeomFromWKB(:wkb, {STORAGE_SRID})")
        params["wkb"] = _geometry_param(geom)
    if not assignments:
        raise InvalidInput("没有要修改的内容", "nothing to change")
    row = conn.execute(text(
        f"UPDATE {q(spec.table.name)} SET {', '.join(assignments)} "
        "WHERE id = :id AND version = :expected AND retired_at IS NULL RETURNING version"), params).first()
    if row is None:
        raise no_row_error(conn, spec, feature_id, expected_version)
    return row[0]


def retire_feature(conn: Connection, spec: LayerSpec, feature_id: int, expected_version: int,
                   actor: Actor, reason: str | None = None) -> int:
    """Soft-delete: the row leaves every list but stays in history and can be restored."""
    set_actor(conn, actor, reason)
    row = conn.execute(text(
        f"UPDATE {q(spec.table.name)} SET retired_at = now(), retired_reason = :reason "
        "WHERE id = :id AND version = :expected AND retired_at IS NULL RETURNING version"),
        {"id": feature_id, "expected": expected_version, "reason": reason}).first()
    if row is None:
        raise no_row_error(conn, spec, feature_id, expected_version)
    return row[0]


def feature_history(conn: Connection, spec: LayerSpec, feature_id: int) -> list[dict[str, Any]]:
    """Every version, oldest first, with who, when, why and which fields changed."""
    rows = conn.execute(text(
        "SELECT version, operation, changed_at, changed_by, reason, data, ST_AsGeoJSON(geom, 9, 0) "
        "FROM feature_history WHERE layer = :layer AND feature_id = :id ORDER BY version, id"),
        {"layer": spec.table.name, "id": feature_id}).all()
    if not rows:
        raise NotFound(f"{spec.title}中没有编号为 {feature_id} 的要素的历史",
                       f"no history for {spec.name}/{feature_id}")
    bookkeeping = {"version", "updated_at", "updated_by", "created_at", "created_by"}
    out, previous = [], None
    for version, operation, changed_at, changed_by, reason, data, geometry in rows:
        if previous is None:
            changed = sorted(k for k in data if k not in bookkeeping and data[k] is not None)
        else:
            changed = sorted(k for k in data if k not in bookkeeping and data.get(k) != previous[0].get(k))
            if geometry != previous[1]:
                changed.append("geometry")
        out.append({"version": version, "operation": operation,
                    "operation_title": OPERATION_TITLES.get(operation, operation),
                    "changed_at": changed_at.isoformat(), "changed_by": changed_by,
                    "changed_by_title": account_title(changed_by), "reason": reason, "changed_fields": changed,
                    "properties": data,
                    "geometry": json.loads(geometry) if geometry else None})
        previous = (data, geometry)
    return out


def restore_version(conn: Connection, spec: LayerSpec, feature_id: int, expected_version: int,
                    restore: int, actor: Actor, reason: str | None = None) -> int:
    """Bring version ``restore`` back as a new version (also un-retires the feature)."""
    table = q(spec.table.name)
    exists = conn.execute(text("SELECT 1 FROM feature_history WHERE layer = :layer AND feature_id = :id "
                               "AND version = :v AND operation <> 'delete'"),
                          {"layer": spec.table.name, "id": feature_id, "v": restore}).first()
    if exists is None:
        raise NotFound(f"编号 {feature_id} 的要素没有第 {restore} 版", f"no version {restore} of {feature_id}")
    if spec.validate_write is not None:
        data, wkb = conn.execute(text(
            "SELECT data, ST_AsBinary(geom) FROM feature_history WHERE layer = :layer AND feature_id = :id "
            "AND version = :v AND operation <> 'delete' ORDER BY id DESC LIMIT 1"),
            {"layer": spec.table.name, "id": feature_id, "v": restore}).one()
        validate_write(spec, ProposedWrite(conn, "restore", feature_id, data,
                                           shapely.from_wkb(bytes(wkb)) if wkb else None, actor))
    set_actor(conn, actor, reason or f"恢复至第 {restore} 版", operation="restore")
    names = [f.name for f in spec.stored_fields]
    targets = ", ".join([*(q(n) for n in names), "geom", "retired_at", "retired_reason"])
    sources = ", ".join([*(f"r.{q(n)}" for n in names), "h.geom", "NULL::timestamptz", "NULL::text"])
    row = conn.execute(text(
        f"UPDATE {table} SET ({targets}) = (SELECT {sources} FROM feature_history h "
        f"CROSS JOIN LATERAL jsonb_populate_record(NULL::{table}, h.data) r "
        "WHERE h.layer = :layer AND h.feature_id = :id AND h.version = :v AND h.operation <> 'delete' "
        "ORDER BY h.id DESC LIMIT 1) "
        "WHERE id = :id AND version = :expected RETURNING version"),
        {"layer": spec.table.name, "id": feature_id, "v": restore, "expected": expected_version}).first()
    if row is None:
        state = current_version(conn, spec, feature_id)
        current = state[0] if state else None
        raise VersionConflict(
            f"此要素已被他人修改：您看到的是第 {expected_version} 版，当前为第 {current} 版。",
            f"version conflict: expected {expected_version}, current {current}", current_version=current)
    return row[0]


def count_features(conn: Connection, spec: LayerSpec, row_filter: str | None = None) -> int:
    """The live features a list shows: ``row_filter`` is the privacy condition of the caller (alias t)
    — the layer list's count must not tell a role about rows it may not list.
    """
    where = f"t.retired_at IS NULL AND ({row_filter})" if row_filter else "t.retired_at IS NULL"
    return conn.execute(text(f"SELECT count(*) FROM {q(spec.table.name)} t WHERE {where}")).scalar_one()
