"""Importing files into any layer: upload → dry run → report → commit (``layers.imports``).

Only users who may write a layer may import into it, and an import is seen only by the user who
uploaded it (its report may name rows of a roster): another user's import id answers 404, as one
that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, File, Form, Request, UploadFile

from gis_server.accounts import duplicate_hits
from gis_server.bodies import FieldMapping
from gis_server.deps import CurrentActor, DbDep, LayerAccess, SettingsDep
from gis_server.settings import Settings
from layers import audit
from layers.errors import InvalidInput
from layers.features import WriteContext
from layers.imports import runner, state
from layers.imports.check import Uniqueness
from layers.imports.columns import GEOMETRY_FIELDS, importable_fields
from layers.imports.coordinates import CRS_CHOICES
from layers.registry import LayerSpec
from layers.roles import Actor

router = APIRouter(prefix="/api/layers", tags=["导入 imports"])


ImportableLayer = Annotated[LayerSpec, Depends(LayerAccess(write=True, refusal="您无权向图层“{title}”导入数据"))]


def limits(settings: Settings) -> runner.Limits:
    return runner.Limits(settings.upload_max_bytes, settings.import_max_rows, settings.extent_margin_deg)


def _mapping(db: Any, spec: LayerSpec, mapping: str | None, mapping_name: str | None) -> dict[str, str] | None:
    if mapping_name:
        with db.read() as conn:
            return state.load_mapping(conn, spec.name, mapping_name)
    if not mapping:
        return None
    try:
        return json.loads(mapping)
    except ValueError:
        raise InvalidInput("字段对应关系（mapping）不是有效的 JSON", "mapping is not JSON", field="mapping") from None


def write_context(actor: Actor, cipher: Any, settings: Settings) -> Callable[[Any, int | None, Any], WriteContext]:
    """Each write's context in a commit; the account's duplicate-hit limit is checked once per file,
    not once per row (``gis_server.accounts.duplicate_hits``).
    """
    limit = duplicate_hits.DuplicateLimit(settings.duplicate_hits_max, settings.duplicate_hits_window_seconds)
    guarded: list[bool] = []

    def context(conn: Any, feature_id: int | None, geom: Any) -> WriteContext:
        def guard() -> None:
            if not guarded:
                duplicate_hits.guard(conn, actor, limit)
                guarded.append(True)
        return WriteContext(conn, cipher, feature_id, actor, geom=geom, guard=guard)
    return context


def uniqueness(db: Any, spec: LayerSpec, actor: Actor, settings: Settings) -> Uniqueness:
    """A dry run's answers about records the user may not see are audited and limited like a write's."""
    limit = duplicate_hits.DuplicateLimit(settings.duplicate_hits_max, settings.duplicate_hits_window_seconds)

    def guard() -> None:
        with db.read() as conn:
            duplicate_hits.guard(conn, actor, limit)

    def hit(count: int) -> None:
        with db.transaction() as conn:
            for _ in range(count):
                duplicate_hits.record(conn, actor, spec, None, field="import")
    return Uniqueness(guard, hit)


def audit_record(spec: LayerSpec, actor: Actor, import_id: int) -> Callable[[Any, dict[str, int]], None]:
    """The audit log's entry of a commit (each row's write is logged by the database's trigger too)."""
    def record(conn: Any, counts: dict[str, int]) -> None:
        audit.record(conn, actor, "import", layer=spec.name, import_id=import_id, counts=counts)
    return record


@router.get("/{layer}/imports/options", summary="导入选项：可导入的字段、坐标系、已保存的字段对应关系")
def import_options(spec: ImportableLayer, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        saved = state.mappings(conn, spec.name)
    return {"layer": spec.name, "title": spec.title, "formats": runner.SUFFIXES, "crs": CRS_CHOICES,
            "fields": {**{name: f.label for name, f in importable_fields(spec).items()}, **GEOMETRY_FIELDS},
            "mappings": saved}


@router.post("/{layer}/imports", status_code=202, summary="上传文件并检查（不写入数据，返回导入编号）")
def upload(
    request: Request, background: BackgroundTasks, spec: ImportableLayer, db: DbDep, actor: CurrentActor,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="Shapefile（zip）、GeoPackage、GeoJSON、KML、GPX、CSV 或 XLSX")],
    crs: Annotated[str | None, Form(description="文件无坐标系时采用：EPSG:4490、EPSG:4550、EPSG:4529 或 gcj02")] = None,
    mapping: Annotated[str | None, Form(description='字段对应关系 JSON：{"列名": "字段名"}')] = None,
    mapping_name: Annotated[str | None, Form(description="已保存的字段对应关系名称")] = None,
) -> dict[str, Any]:
    opts = runner.options(crs, _mapping(db, spec, mapping, mapping_name))
    content = file.file.read(settings.upload_max_bytes + 1)
    filename = file.filename or "upload"
    source = runner.receive_and_read(content, filename, limits(settings))  # refused: 422, nothing stored
    cipher = request.app.state.cipher
    import_id = runner.start(db, spec, actor, filename, content, opts, cipher)
    background.add_task(runner.check, db, spec, import_id, source, opts, actor=actor, cipher=cipher,
                        limits=limits(settings), uniqueness=uniqueness(db, spec, actor, settings))
    return {"id": import_id, "status": "checking", "rows": len(source.rows),
            "url": f"/api/layers/{spec.name}/imports/{import_id}"}


@router.get("/{layer}/imports/{import_id}", summary="导入的状态、进度与检查报告")
def status(spec: ImportableLayer, import_id: int, db: DbDep, actor: CurrentActor) -> dict[str, Any]:
    with db.read() as conn:
        return state.get(conn, import_id, spec.name, actor.name)


@router.post("/{layer}/imports/{import_id}/commit",
             summary="提交导入（整个文件一次写入；同一文件再次导入不改变数据）")
def commit(request: Request, spec: ImportableLayer, import_id: int, db: DbDep, actor: CurrentActor,
           settings: SettingsDep) -> dict[str, Any]:
    cipher = request.app.state.cipher
    counts = runner.commit_import(db, spec, import_id, actor=actor, cipher=cipher,
                                  context=write_context(actor, cipher, settings),
                                  after=audit_record(spec, actor, import_id))
    with db.read() as conn:
        return {**state.get(conn, import_id, spec.name, actor.name), "result": counts}


@router.put("/{layer}/import-mappings/{name}", summary="保存字段对应关系（列名 → 字段名），供以后导入使用")
def save_mapping(
    spec: ImportableLayer, name: str, db: DbDep, actor: CurrentActor,
    body: Annotated[FieldMapping, Body(examples=[{"户主": "head_name", "X": "_lon"}])],
) -> dict[str, Any]:
    if not 1 <= len(name) <= 100:
        raise InvalidInput("名称应为 1–100 个字", "name must have 1-100 characters", field="name")
    opts = runner.options(None, body.root)
    allowed = {*importable_fields(spec), *GEOMETRY_FIELDS, ""}
    wrong = [k for k, v in opts["mapping"].items() if v not in allowed]
    if wrong:
        raise InvalidInput("以下列对应的不是本图层的字段：" + "、".join(wrong[:10]), "unknown target fields",
                           field="mapping")
    with db.transaction() as conn:
        state.save_mapping(conn, spec.name, name, opts["mapping"], actor.name)
    return {"layer": spec.name, "name": name, "mapping": opts["mapping"]}
