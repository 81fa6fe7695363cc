"""Import census-style place-name data: XLSX, CSV (UTF-8 or GBK), zipped Shapefile, GeoPackage.

Headers are mapped from the census register's Chinese labels (标准名称/名称, 罗马字母拼写, 类别,
东经, 北纬 …). A dry run reports every row's problems and what a commit would do; the commit is
idempotent: a row with a 地名代码 updates that record (only if something changed), a row without
one matches an existing record of the same name, class and township, else it is inserted and coded.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import geopandas
import shapely
from shapely.geometry import Point, mapping
from sqlalchemy import Connection, text

import formats
from formats.srids import STORAGE_CRS
from layers.base import STORAGE_SRID
from layers.catalog import registry
from layers.errors import DomainError, InvalidInput
from layers.features import create_feature, update_feature
from layers.gazetteer.classes import class_table, split_name
from layers.gazetteer.lifecycle import next_code
from layers.gazetteer.names import add_variant
from layers.gazetteer.rules import conflict_problems, text_problems
from layers.geometry import validate_geometry
from layers.roles import Actor
from layers.uploads import received

clock = time.monotonic  # the import's time limit; a test replaces it here, not for every caller of time

HEADERS = {
    "name": ("标准名称", "名称", "地名", "标准地名", "name"),
    "pinyin": ("罗马字母拼写", "罗马字母拼音", "汉语拼音", "拼音", "pinyin"),
    "class": ("类别", "类别名称", "地名类别", "小类", "class"), "class_code": ("类别代码", "class_code"),
    "code": ("地名代码", "代码", "code"), "lon": ("东经", "经度", "lon", "x"), "lat": ("北纬", "纬度", "lat", "y"),
    "alias": ("别名",), "abbreviation": ("简称",), "colloquial": ("俗称",), "former": ("曾用名", "历史名称"),
    "meaning": ("含义", "地名含义"), "history": ("历史沿革",), "description": ("地理实体描述", "位置描述"),
    "survey_method": ("测量方法",), "usage": ("使用时间", "使用状态"), "established_year": ("设立年份",),
    "abolished_year": ("废止年份",), "approval_authority": ("批准机关",), "approval_doc_no": ("批准文号",),
    "approval_date": ("批准时间", "批准日期"), "specific_part": ("专名",), "generic_part": ("通名",),
}
STORED = ("name", "pinyin", "class_code", "meaning", "history", "description", "survey_method", "established_year",
          "abolished_year", "approval_authority", "approval_doc_no", "approval_date", "specific_part",
          "generic_part", "status")
VARIANT_FIELDS = {"alias": "alias", "abbreviation": "abbreviation", "colloquial": "colloquial",
                  "former": "historical"}
SURVEY = {"实测": "measured", "图解": "graphical"}
ACCEPTED = ("xlsx", "csv", "shapefile", "gpkg")  # what the census import reads (allow-list)


@dataclass(frozen=True)
class Limits:
    """What one import or preview may read and how long it may check (the service passes its settings)."""

    max_rows: int = formats.tables.DEFAULT_MAX_ROWS
    max_bytes: int = formats.opening.DEFAULT_MAX_BYTES
    max_seconds: float = 30.0  # checking rows costs database work per row (measured: 3–13 ms a row)


DEFAULT_LIMITS = Limits()


def _normal(header: str) -> str:
    return re.sub(r"[\s*＊:：()（）]", "", str(header or "")).lower()


def map_headers(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Source header → field, and the headers left unmapped.

    >>> map_headers(["标准名称*", "罗马字母拼写", "东经", "北纬", "备注"])
    ({'标准名称*': 'name', '罗马字母拼写': 'pinyin', '东经': 'lon', '北纬': 'lat'}, ['备注'])
    """
    lookup = {_normal(label): key for key, labels in HEADERS.items() for label in labels}
    mapped, unmapped, used = {}, [], set()
    for header in headers:
        key = lookup.get(_normal(header))
        if key and key not in used:
            mapped[header] = key
            used.add(key)
        elif header is not None and str(header).strip():
            unmapped.append(str(header))
    return mapped, unmapped


def parse_angle(value: Any) -> float | None:
    """Decimal degrees or 度分秒 (``122°45′30″``, ``122 45 30``).

    >>> parse_angle("122.75"), parse_angle("122°45′00″"), parse_angle("40°51'"), parse_angle("")
    (122.75, 122.75, 40.85, None)
    """
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    parts = [float(p) for p in re.findall(r"\d+(?:\.\d+)?", str(value))]
    if not parts or len(parts) > 3:
        raise ValueError(value)
    if len(parts) == 1:
        return parts[0]
    return round(parts[0] + parts[1] / 60 + (parts[2] / 3600 if len(parts) == 3 else 0), 9)


def read_table(upload: formats.Upload, crs: str | None, max_rows: int) -> dict[str, Any]:
    """Rows (dicts by source header) with an optional ``__geometry__`` (shapely, EPSG:4490)."""
    if upload.format.driver is None:  # XLSX, CSV
        table = formats.read_table(upload, max_rows)
        return {"format": upload.format.key, "encoding": table.encoding, "headers": table.headers,
                "rows": table.rows, "numbers": table.numbers}
    frame = formats.read_features(upload, max_rows=max_rows)
    if not isinstance(frame, geopandas.GeoDataFrame):
        raise InvalidInput(f"文件“{upload.filename}”中的图层没有几何（点位）", "layer has no geometry", field="file")
    if frame.crs is None and not crs:
        raise InvalidInput("文件没有坐标系（.prj）：请在 crs 参数中说明坐标系", "no CRS in the file", field="crs")
    try:
        frame = (frame.set_crs(crs) if frame.crs is None else frame).to_crs(STORAGE_SRID)
    except Exception:  # pyproj: a CRS it cannot use or transform
        raise InvalidInput(f"坐标系“{crs or '文件中的坐标系'}”无法识别或无法转换到 CGCS2000", "bad CRS",
                           field="crs") from None
    headers = [c for c in frame.columns if c != frame.geometry.name]
    rows = []
    for record, geom in zip(frame[headers].to_dict("records"), frame.geometry, strict=True):
        rows.append({**{k: (None if v != v else v) for k, v in record.items()}, "__geometry__": geom})
    return {"format": upload.format.key, "encoding": None, "headers": headers, "rows": rows,
            "numbers": list(range(2, len(rows) + 2))}  # feature n as row n + 1, as in the tables


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime):
        return value.date()
    return value


def _class_code(record: dict[str, Any], name: str) -> str | None:
    code, label = record.get("class_code"), record.get("class")
    table = class_table()
    for candidate in (code, label):
        if candidate is not None and str(candidate).strip().zfill(5) in table and str(candidate).strip().isdigit():
            return str(candidate).strip().zfill(5)
    if not label:
        return None
    label = str(label).split("-")[-1].split("/")[-1].strip()
    exact = [c.code for c in table.values() if c.subclass == label]
    if exact:
        return exact[0]
    major = [c for c in table.values() if c.major_class == label]
    by_generic = [c.code for c in major if split_name(name, c.code)[1] in c.generics]
    candidates = by_generic or [c.code for c in major]
    return candidates[0] if candidates else None


def parse_row(raw: dict[str, Any], mapping_: dict[str, str], crs: str | None) -> tuple[dict[str, Any], Any, list]:
    """(record fields, geometry or None, problems) of one source row."""
    record = {field: _clean(raw.get(header)) for header, field in mapping_.items()}
    problems: list[dict[str, Any]] = []
    name = str(record.get("name") or "").strip()
    if not name:
        problems.append({"rule": "missing", "severity": "error", "message": "缺少标准名称"})
    class_code = _class_code(record, name)
    if class_code is None:
        problems.append({"rule": "unknown_class", "severity": "error",
                         "message": f"无法识别类别“{record.get('class') or record.get('class_code') or ''}”"})
    props: dict[str, Any] = {"name": name, "class_code": class_code}
    for key in STORED[3:]:
        if record.get(key) is not None:
            props[key] = record[key]
    if record.get("pinyin"):
        props["pinyin"] = str(record["pinyin"])
    if props.get("survey_method") in SURVEY:
        props["survey_method"] = SURVEY[props["survey_method"]]
    elif props.get("survey_method") not in (None, *SURVEY.values()):
        props.pop("survey_method")
    props["status"] = "historical" if "历史" in str(record.get("usage") or "") else "approved"
    for key in ("established_year", "abolished_year"):
        if key in props:
            try:
                props[key] = int(float(props[key]))
            except (TypeError, ValueError):
                problems.append({"rule": "format", "severity": "error", "message": f"{key} 应为年份"})
    if isinstance(props.get("approval_date"), str):
        try:
            props["approval_date"] = date.fromisoformat(props["approval_date"].replace("/", "-"))
        except ValueError:
            problems.append({"rule": "format", "severity": "error", "message": "批准时间应为 YYYY-MM-DD"})
    code = str(record["code"]).strip() if record.get("code") else None
    if code and not re.fullmatch(r"210381\d{14}", code):
        problems.append({"rule": "code", "severity": "error",
                         "message": f"地名代码“{code}”应为 210381 开头的 20 位数字"})
    elif code and class_code and code[9:14] != class_code:
        problems.append({"rule": "code", "severity": "warning",
                         "message": f"地名代码的类别段 {code[9:14]} 与类别 {class_code} 不一致"})
    props["code"] = code
    geom = raw.get("__geometry__")
    try:
        if geom is not None:
            geom = validate_geometry(mapping(geom), "Geometry", STORAGE_CRS)
        else:
            lon, lat = parse_angle(record.get("lon")), parse_angle(record.get("lat"))
            if lon is None or lat is None:
                raise InvalidInput("缺少坐标（东经、北纬）", "missing coordinates")
            geom = validate_geometry(mapping(Point(lon, lat)), "Point", crs)
    except (DomainError, ValueError) as exc:
        problems.append({"rule": "geometry", "severity": "error",
                         "message": exc.message if isinstance(exc, DomainError) else f"坐标无法解析：{exc}"})
        geom = None
    variants = {kind: str(record[field]) for field, kind in VARIANT_FIELDS.items() if record.get(field)}
    props["_variants"] = variants
    return props, geom, problems


class _NewFeature:
    feature_id = None


_NEW = _NewFeature()


def _township_of(conn: Connection, geom: Any) -> str | None:
    return conn.execute(text(
        "SELECT t.code FROM townships t WHERE t.retired_at IS NULL "
        "AND ST_Intersects(t.geom, ST_PointOnSurface(ST_GeomFromWKB(:wkb, :srid))) ORDER BY t.code LIMIT 1"),
        {"wkb": shapely.to_wkb(geom), "srid": STORAGE_SRID}).scalar()


def _existing(conn: Connection, props: dict[str, Any], geom: Any) -> Any:
    if props.get("code"):
        return conn.execute(text("SELECT * FROM place_names WHERE code = :c AND retired_at IS NULL"),
                            {"c": props["code"]}).mappings().first()
    if geom is None:
        return None
    return conn.execute(text(
        "SELECT p.* FROM place_names p WHERE p.retired_at IS NULL AND p.name = :n AND p.class_code = :c "
        "AND p.township_code IS NOT DISTINCT FROM CAST(:t AS text) ORDER BY p.id LIMIT 1"),
        {"n": props["name"], "c": props["class_code"], "t": _township_of(conn, geom)}).mappings().first()


def _changes(existing: Any, props: dict[str, Any], geom: Any, conn: Connection) -> dict[str, Any]:
    # the status moves only by the lifecycle, except a row marked historical (历史地名)
    changed = {k: v for k, v in props.items() if not k.startswith("_") and k not in ("code", "status")
               and existing[k] != v}
    if props.get("status") == "historical" and existing["status"] != "historical":
        changed["status"] = "historical"
    same_place = conn.execute(text("SELECT ST_Equals(geom, ST_GeomFromWKB(:wkb, :srid)) FROM place_names "
                                   "WHERE id = :id"),
                              {"wkb": shapely.to_wkb(geom), "srid": STORAGE_SRID, "id": existing["id"]}).scalar()
    if not same_place:
        changed["_geom"] = True
    return changed


def _read(data: bytes | BinaryIO, filename: str, crs: str | None, limits: Limits) -> dict[str, Any]:
    with received(data, filename, ACCEPTED, limits.max_bytes) as upload:
        table = read_table(upload, crs, limits.max_rows)
    if not table["rows"]:
        raise InvalidInput(f"文件“{Path(filename).name}”中没有数据行", "no data rows", field="file")
    return table


def _too_slow(checked: int, total: int, seconds: float) -> None:
    """Refuse (changing nothing) an import whose rows cannot be checked within one request's time."""
    raise InvalidInput(f"文件共 {total} 行，{seconds:g} 秒内只检查完 {checked} 行：请分批导入，每批不超过 "
                       f"{max(checked, 1)} 行", f"checked {checked} of {total} rows in {seconds:g} s", field="file")


def plan(conn: Connection, data: bytes | BinaryIO, filename: str, crs: str | None = None,
         limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Read, map and check every row; returns the report and the rows (internal: with props/geometry)."""
    table = _read(data, filename, crs, limits)
    mapping_, unmapped = map_headers(table["headers"])
    items: list[dict[str, Any]] = []
    seen_codes: set[str | None] = set()
    started = clock()
    for number, raw in zip(table["numbers"], table["rows"], strict=True):
        if clock() - started > limits.max_seconds:
            _too_slow(len(items), len(table["rows"]), limits.max_seconds)
        props, geom, problems = parse_row(raw, mapping_, crs)
        if props.get("name") and props.get("class_code"):
            found, _ = text_problems(props["name"], props["class_code"])
            problems += [vars(p) for p in found]
        code = props.get("code")
        if code and code in seen_codes:
            problems.append({"rule": "code", "severity": "error", "message": f"地名代码 {code} 在文件中重复"})
        seen_codes.add(code)
        existing = _existing(conn, props, geom) if geom is not None and props.get("class_code") else None
        if geom is not None and props.get("class_code") and props["status"] != "historical":
            found = conflict_problems(conn, props["name"], props["class_code"],
                                      _key(conn, props), geom, existing["id"] if existing else None)
            problems += [vars(p) for p in found]
        if any(p["severity"] == "error" for p in problems):
            action = "error"
        elif existing is None:
            action = "insert"
        else:
            action = "update" if _changes(existing, props, geom, conn) else "unchanged"
        items.append({"row": number, "name": props.get("name"), "code": code, "class_code": props.get("class_code"),
                      "action": action, "problems": problems, "_props": props, "_geom": geom,
                      "_existing": existing})
    summary = {a: sum(1 for i in items if i["action"] == a) for a in ("insert", "update", "unchanged", "error")}
    return {"filename": filename, "format": table["format"], "encoding": table["encoding"], "rows": len(items),
            "columns": mapping_, "unmapped": unmapped, "summary": summary, "items": items}


def _key(conn: Connection, props: dict[str, Any]) -> str:
    from layers.gazetteer.pinyin import fold, suggest

    return fold(props["pinyin"]) if props.get("pinyin") else suggest(props["name"], props["class_code"]).key


def _public(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "items": [{k: v for k, v in i.items() if not k.startswith("_")} for i in report["items"]]}


def dry_run(conn: Connection, data: bytes | BinaryIO, filename: str, crs: str | None = None,
            limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The report of what a commit would do, row by row; changes nothing."""
    return {**_public(plan(conn, data, filename, crs, limits)), "committed": False}


def commit_import(conn: Connection, data: bytes | BinaryIO, filename: str, actor: Actor,
                  crs: str | None = None, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Write the rows without errors (inserted, or updated by code); rows with errors are skipped."""
    from layers.place_names import prepare_place_name

    spec = registry().get("place_names")
    assert spec is not None
    report = plan(conn, data, filename, crs, limits)
    reason = f"导入：{filename}"
    for item in report["items"]:
        if item["action"] in ("error", "unchanged"):
            continue
        props = {k: v for k, v in item["_props"].items() if not k.startswith("_")}
        if item["action"] == "insert":
            props = prepare_place_name(props, _NEW)
            if not props.get("code") and props["status"] != "historical":
                props["code"] = next_code(conn, _township_of(conn, item["_geom"]), props["class_code"])
                item["code"] = props["code"]
            if not props.get("code"):
                props.pop("code", None)
            place_id, _ = create_feature(conn, spec, props, item["_geom"], actor, reason, source="import")
        else:
            existing = item["_existing"]
            place_id = existing["id"]
            changed = _changes(existing, props, item["_geom"], conn)
            geom = item["_geom"] if changed.pop("_geom", False) else None
            update_feature(conn, spec, place_id, existing["version"], {k: props[k] for k in changed}, geom,
                           actor, reason)
        for kind, name in item["_props"]["_variants"].items():
            if conn.execute(text("SELECT 1 FROM place_name_variants WHERE place_name_id = :p AND name = :n "
                                 "AND kind = :k"), {"p": place_id, "n": name, "k": kind}).first() is None:
                add_variant(conn, place_id, name, kind, source=filename)
        item["id"] = place_id
    return {**_public(report), "committed": True}
