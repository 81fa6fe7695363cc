"""The dry run: every row of a file checked as a write of the layer would be, without writing.

Each problem names the row (as the user finds it in the file), the field (its Chinese label) and what
is wrong, in Chinese; the values of personal fields are never quoted. Rows are matched to live records
by the layer's natural key (households: the ID number's keyed hash), so the report says what a commit
would insert, update or leave unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from layers.errors import InvalidInput
from layers.features import q
from layers.imports.columns import (
    GEOMETRY_FIELDS,
    LAT,
    LON,
    WKT,
    CellError,
    Places,
    convert,
    importable_fields,
    map_columns,
)
from layers.imports.coordinates import STORAGE_CRS, checked_geometry, plain_points, resolve
from layers.imports.source import SourceFile
from layers.privacy import validate_id_number, visible_rows_sql
from layers.registry import LayerSpec
from layers.roles import Actor
from layers.schemas import validate_properties

GEOMETRY_LABEL = "几何"
PROGRESS_EVERY = 500  # rows between progress updates
MAX_PROBLEMS = 1000  # local parameter: the report keeps this many; the counts stay exact


@dataclass
class Planned:
    number: int
    properties: dict[str, Any]
    geom: BaseGeometry
    key: tuple[Any, ...] | None
    existing: tuple[int, int] | None = None  # (id, version) of the live record with the same key
    checked: tuple[Any, ...] = ()  # the key as looked up (households: the ID number's hash)
    action: str = "insert"  # insert | update | unchanged


@dataclass
class DryRun:
    planned: list[Planned] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_rows: set[int] = field(default_factory=set)
    file_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    crs: str | None = None

    def problem(self, row: int, label: str, message: str) -> None:
        self.problem_rows.add(row)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"row": row, "field": label, "message": message})

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.problem_rows

    def counts(self) -> dict[str, int]:
        actions = [p.action for p in self.planned]
        return {"rows": len(self.planned) + len(self.problem_rows), "problem_rows": len(self.problem_rows),
                "problems": len(self.problems), "insert": actions.count("insert"),
                "update": actions.count("update"), "unchanged": actions.count("unchanged")}

    def report(self, source: SourceFile) -> dict[str, Any]:
        return {"format": source.format, "encoding": source.encoding, "crs": self.crs, "notes": self.notes,
                "columns": self.columns, "unknown_columns": self.unknown_columns,
                "file_problems": self.file_problems, "counts": self.counts(),
                "problems": sorted(self.problems, key=lambda p: p["row"]), "ok": self.ok}


def import_key(spec: LayerSpec) -> tuple[str, ...]:
    """What identifies a record across imports: the natural key; households have none but the ID number."""
    if spec.natural_key:
        return spec.natural_key
    return tuple(f.name for f in spec.input_fields if f.name == "id_number")


ID_NUMBER_KEY = ("id_number",)  # matched by the number's keyed hash (``id_number_hash``), never in clear


def _labels(spec: LayerSpec) -> dict[str, str]:
    return {**{name: f.label for name, f in importable_fields(spec).items()}, **GEOMETRY_FIELDS}


def _table_geometry(values: dict[str, Any], columns: dict[str, str]) -> BaseGeometry | None:
    by_field = {target: values.get(header) for header, target in columns.items() if target in GEOMETRY_FIELDS}
    if by_field.get(WKT) not in (None, ""):
        try:
            return shapely.from_wkt(str(by_field[WKT]).strip())
        except shapely.errors.GEOSException:
            raise InvalidInput("WKT 几何无法解析", "cannot parse WKT") from None
    lon, lat = by_field.get(LON), by_field.get(LAT)
    if lon in (None, "") and lat in (None, ""):
        return None
    try:
        return shapely.Point(float(lon), float(lat))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("经度、纬度（或东、北坐标）应为数值", "coordinates must be numbers") from None


def _field_names_row(spec: LayerSpec, source: SourceFile) -> dict[str, str] | None:
    """Header → field when the first data row of a table holds only the layer's field names, else None."""
    if source.format not in ("CSV", "XLSX") or not source.rows:
        return None
    geometry_names = {"geometry": WKT, "wkt": WKT, "lon": LON, "lat": LAT, **{k: k for k in GEOMETRY_FIELDS}}
    known = {f.name for f in spec.all_fields} | set(importable_fields(spec)) | set(geometry_names)
    cells = {h: str(v).strip() for h, v in source.rows[0].values.items() if v not in (None, "")}
    if len(cells) < 2 or not all(v in known for v in cells.values()):
        return None
    importable = set(importable_fields(spec))
    return {h: geometry_names.get(v) or (v if v in importable else "") for h, v in cells.items()}


def _sample(rows: list[Any], columns: dict[str, str]) -> list[tuple[float, float]]:
    out = []
    for row in rows[:50]:
        try:
            geom = row.geometry if row.geometry is not None else _table_geometry(row.values, columns)
        except InvalidInput:
            continue
        if geom is not None and not geom.is_empty:
            x, y = shapely.get_coordinates(geom)[0]
            out.append((float(x), float(y)))
    return out


def dry_run(conn: Connection, spec: LayerSpec, source: SourceFile, *, actor: Actor, cipher: Any,
            crs_choice: str | None = None, mapping: dict[str, str] | None = None, margin: float = 0.05,
            progress: Callable[[int, int], None] | None = None,
            uniqueness: Uniqueness | None = None) -> DryRun:
    """Check every row of ``source`` for ``spec``; nothing is written. ``uniqueness`` audits and limits
    the answers about records the user may not see, as the write path does for each write.
    """
    run = DryRun()
    names_row = _field_names_row(spec, source)
    if names_row:  # an export's second header row (field names under the labels): it maps the columns
        mapping = {**names_row, **(mapping or {})}
        run.notes.append(f"第 {source.rows[0].number} 行是字段名（导出文件的第二行表头），按它对应各列")
    rows = source.rows[1:] if names_row else source.rows
    mapped = map_columns(spec, source.headers, mapping)
    run.columns, run.unknown_columns = mapped.columns, mapped.unknown
    if run.unknown_columns:
        run.notes.append("以下列不是本图层的字段，未导入：" + "、".join(run.unknown_columns))
    has_table_geometry = WKT in mapped.columns.values() or {LON, LAT} <= set(mapped.columns.values())
    if source.format in ("CSV", "XLSX") and not has_table_geometry:
        run.file_problems.append("没有找到坐标列：需要“经度”“纬度”两列（或东、北坐标），或一列 WKT 几何")
    if not rows:
        run.file_problems.append("文件中没有数据行")
        return run
    run.crs, note = resolve(source.crs, crs_choice, _sample(rows, mapped.columns))
    (run.notes if run.crs else run.file_problems).append(note)
    key = import_key(spec)
    if key == ID_NUMBER_KEY and "id_number" not in mapped.columns.values():
        run.file_problems.append("导入困难群众户须有“身份证号码”列：用它识别同一户，重复导入不会重复登记")
    if run.file_problems:
        return run
    assert run.crs is not None
    places = Places(conn)
    labels = _labels(spec)
    fields = importable_fields(spec)
    seen: dict[tuple[Any, ...], int] = {}
    total = len(rows)
    plain = plain_points(_table_lonlat(rows, mapped.columns), run.crs, spec.geometry_type, margin)
    for done, (row, point) in enumerate(zip(rows, plain, strict=True), start=1):
        _check_row(spec, source, row, mapped.columns, run, places, fields, labels, seen, key, margin, point)
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    _match(conn, spec, run, key, actor, cipher, uniqueness)
    return run


def _table_lonlat(rows: list[Any], columns: dict[str, str]) -> np.ndarray:
    """Each row's (lon, lat) from its coordinate columns as numbers; NaN where a row has a geometry of its own,
    a WKT column may give one, or a cell is not a number (:func:`_table_geometry` then says why).
    """
    xy = np.full((len(rows), 2), np.nan)
    headers = {target: header for header, target in columns.items()}
    if WKT in headers or not {LON, LAT} <= headers.keys():
        return xy
    lon, lat = headers[LON], headers[LAT]
    for i, row in enumerate(rows):
        if row.geometry is None:
            try:
                xy[i] = float(row.values.get(lon)), float(row.values.get(lat))
            except (TypeError, ValueError):
                pass
    return xy


def _check_row(spec: LayerSpec, source: SourceFile, row: Any, columns: dict[str, str], run: DryRun,
               places: Places, fields: dict[str, Any], labels: dict[str, str], seen: dict[tuple[Any, ...], int],
               key: tuple[str, ...], margin: float, point: BaseGeometry | None) -> None:
    """One row checked; ``point``: its geometry when :func:`plain_points` found nothing more to check."""
    before = len(run.problem_rows)
    for header in source.formula_cells.get(row.number, []):
        run.problem(row.number, header, "单元格是公式，不导入公式：请复制后“粘贴为数值”再导入")
    properties: dict[str, Any] = {}
    failed: set[str] = set()  # named once: not again as "required" by the schema
    for header, target in columns.items():
        if target in GEOMETRY_FIELDS:
            continue
        try:
            properties[target] = convert(fields[target], row.values.get(header), places)
        except CellError as exc:
            failed.add(target)
            run.problem(row.number, labels[target], f"{labels[target]}：{exc}")
    properties = {k: v for k, v in properties.items() if v is not None or not fields[k].required}
    geom = point if point is not None else _row_geometry(spec, row, columns, run, margin)
    try:
        properties = validate_properties(spec, properties, partial=False)
        if spec.check_values is not None:
            properties = spec.check_values(properties)
        if key == ID_NUMBER_KEY and properties.get("id_number") is not None:
            # as the write will check it (prepare_write): named here by row, and "x" and "X" are one number
            properties["id_number"] = validate_id_number(properties["id_number"])
    except InvalidInput as exc:
        for p in exc.details.get("problems", [{"field": exc.details.get("field", ""), "message": exc.message}]):
            if p["field"] in failed:
                continue
            run.problem(row.number, labels.get(p["field"], p["field"]), p["message"])
    if len(run.problem_rows) > before or row.number in run.problem_rows or geom is None:
        return
    values = tuple(properties.get(k) for k in key) if key else None
    if values is not None and None not in values:
        if values in seen:
            names = "、".join(labels.get(k, k) for k in key)
            run.problem(row.number, names, f"{names}与第 {seen[values]} 行相同：同一文件中不能重复")
            return
        seen[values] = row.number
    run.planned.append(Planned(row.number, properties, geom, values))


def _row_geometry(spec: LayerSpec, row: Any, columns: dict[str, str], run: DryRun,
                  margin: float) -> BaseGeometry | None:
    """The row's geometry checked as a write's, or None with the problem named."""
    try:
        raw = row.geometry if row.geometry is not None else _table_geometry(row.values, columns)
        if raw is None or raw.is_empty:
            raise InvalidInput("没有几何（坐标为空）", "no geometry")
        return checked_geometry(raw, run.crs or STORAGE_CRS, spec.geometry_type, margin)
    except InvalidInput as exc:
        run.problem(row.number, GEOMETRY_LABEL, exc.message)
        return None


@dataclass(frozen=True)
class Uniqueness:
    """The service's duplicate-hit rules (``gis_server.accounts.duplicate_hits``): ``guard()`` before the
    lookup (refuses an account over its limit), ``hit(count)`` after it, for the hidden records found.
    """

    guard: Callable[[], None]
    hit: Callable[[int], None]


def _match(conn: Connection, spec: LayerSpec, run: DryRun, key: tuple[str, ...], actor: Actor, cipher: Any,
           uniqueness: Uniqueness | None) -> None:
    """Find each planned row's live record by its key, and whether the row would change it."""
    keyed = [p for p in run.planned if p.key is not None and None not in p.key]
    if not keyed:
        return
    if uniqueness is not None:
        uniqueness.guard()
    visible = visible_rows_sql(spec, actor) or "true"
    if key == ID_NUMBER_KEY:  # hashed once, by the dry run; its commit reads the hashes from its checked rows
        lookups = {p.number: p.checked or (cipher.match_hash(p.properties["id_number"]),) for p in keyed}
        columns = ["id_number_hash"]
    else:
        lookups = {p.number: p.key for p in keyed}  # type: ignore[misc]
        columns = list(key)
    compared = [f.name for f in spec.stored_fields if f.name in {n for p in keyed for n in p.properties}]
    joined = "concat_ws(chr(31), " + ", ".join(f"t.{q(c)}::text" for c in columns) + ")"
    rows = conn.execute(text(
        f"SELECT t.id, t.version, {visible}, ST_AsBinary(t.geom), "
        f"(SELECT row_to_json(_r) FROM (SELECT {', '.join(f't.{q(c)}' for c in compared) or 'NULL AS x'}) _r), "
        f"{joined} FROM {q(spec.table.name)} t WHERE t.retired_at IS NULL AND {joined} = ANY(:keys)"),
        {"keys": [_key_text(values) for values in lookups.values()]}).all()
    existing = {r[5]: r for r in rows}
    labels = _labels(spec)
    for planned in keyed:
        found = existing.get(_key_text(lookups[planned.number]))
        planned.checked = lookups[planned.number]
        if found is None:
            continue
        if not found[2]:  # a record this user may not see: the same words as the write path's refusal
            names = "、".join(labels.get(k, k) for k in key)
            run.problem(planned.number, names, f"{spec.title}中已有相同{names}的在册记录（您无权查看），不能导入此行")
            continue
        planned.existing = (found[0], found[1])
        same_geometry = bytes(found[3]) == shapely.to_wkb(shapely.force_2d(planned.geom))
        stored = found[4] or {}
        given = json.loads(json.dumps({k: v for k, v in planned.properties.items() if k in stored}, default=str))
        planned.action = "unchanged" if same_geometry and all(stored.get(k) == v for k, v in given.items()) \
            else "update"
    run.planned = [p for p in run.planned if p.number not in run.problem_rows]
    hidden = sum(1 for r in rows if not r[2])
    if hidden and uniqueness is not None:
        uniqueness.hit(hidden)


def _key_text(values: tuple[Any, ...]) -> str:
    """As the query joins the key's columns: texts separated by the unit separator."""
    return "\x1f".join(str(v) for v in values)


def recheck(conn: Connection, spec: LayerSpec, planned: list[Planned], *, actor: Actor, cipher: Any) -> DryRun:
    """In the commit's transaction, what may have changed since the dry run of ``planned`` (its checked
    rows): codes still name live villages and townships (``check_references``, one query per field), and
    each row's live record by its key, whether the user may see it and whether the row changes it
    (``check_natural_key``; the database's unique indexes hold it too).
    """
    run = DryRun(planned=planned)
    labels = _labels(spec)
    for f in spec.editable_fields:
        if f.references is None:
            continue
        codes = sorted({str(p.properties[f.name]) for p in planned if p.properties.get(f.name) is not None})
        live = set(conn.execute(text(f"SELECT code FROM {q(f.references)} WHERE code = ANY(:codes) "
                                     "AND retired_at IS NULL"), {"codes": codes}).scalars())
        for p in planned:
            value = p.properties.get(f.name)
            if value is not None and value not in live:
                run.problem(p.number, labels.get(f.name, f.label), f"{f.label}“{value}”已不是在册的区划代码")
    for p in planned:
        p.existing, p.action = None, "insert"
    _match(conn, spec, run, import_key(spec), actor, cipher, None)
    run.planned = [p for p in run.planned if p.number not in run.problem_rows]
    return run
