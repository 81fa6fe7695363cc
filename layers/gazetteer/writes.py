"""Writes to place names through the generic feature API (POST/PUT/PATCH /api/layers/place_names/…).

The generic API may create and edit a name's record, but it cannot skip what the gazetteer requires:

- the lifecycle: a new name is 拟命名 (proposed) with no approval, code, filing or announcement; the
  status and those fields change only through the lifecycle steps (``layers.gazetteer.lifecycle``:
  approve, file, announce, rename, abolish), and a PUT keeps them (it does not reset them);
- renaming: the name (or class) of a name already approved changes only by the rename step, with a
  reason and a document (《地名管理条例》 Art. 10, 13, 14);
- the naming rules (``layers.gazetteer.rules.validate``) on every write that sets the name, its class
  or its place: any ``error`` refuses the write (422, the problems listed); warnings pass;
- restoring an old version (POST …/restore): it may not bring back another status, approval, filing,
  name or class (an abolished name comes back by no lifecycle step, a renamed one not without its
  reason); a proposed name's earlier wording may come back if it passes the naming rules.

A spelling (pinyin) given by the editor is kept and flagged as set by hand; otherwise it follows
the name (regenerated when a proposed name is edited).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from layers.errors import InvalidInput, NotFound
from layers.gazetteer.pinyin import suggest
from layers.gazetteer.rules import require_no_errors
from layers.place_names import NAME_STATUS, PlaceName, prepare_place_name

# set only by the lifecycle steps (and by imports of records approved elsewhere)
LIFECYCLE_FIELDS = ("status", "code", "approval_authority", "approval_doc_no", "approval_date", "announced_date",
                    "filed_date", "filed_to", "approved_here")
# what the naming rules read: a write that sets one of these is checked again
CHECKED_FIELDS = ("name", "class_code")
SPELLING_FIELDS = ("pinyin", "pinyin_toned", "pinyin_manual", "specific_part", "generic_part")
LIFECYCLE_STEPS = "批准（approve）、备案（file）、公告（announce）、更名（rename）、废止（abolish）"
# why a write may not set them: a name is approved only by its approving authority
APPROVAL_BASIS = "《地名管理条例》（2022）第四条：未经批准，任何单位和个人不得擅自决定对地名进行命名、更名"


def _labels() -> dict[str, str]:
    return {c.name: c.info.get("label", c.name) for c in PlaceName.__table__.columns}


def _refuse_lifecycle(fields: list[str], place_id: int | None) -> InvalidInput:
    labels = _labels()
    named = "、".join(f"{labels.get(f, f)}（{f}）" for f in fields)
    where = f"/api/place-names/{place_id}/…" if place_id else "新地名登记为拟命名后，/api/place-names/{编号}/…"
    return InvalidInput(f"{named}只能通过地名审批流程填写（{LIFECYCLE_STEPS}；{where}；{APPROVAL_BASIS}）",
                        f"lifecycle fields cannot be written by the generic API: {', '.join(fields)}",
                        fields=fields)


def _current(conn: Any, place_id: int) -> Any:
    columns = ", ".join(dict.fromkeys([*LIFECYCLE_FIELDS, *CHECKED_FIELDS, *SPELLING_FIELDS]))
    row = conn.execute(text(f"SELECT {columns} FROM place_names WHERE id = :id AND retired_at IS NULL"),
                       {"id": place_id}).mappings().first()
    if row is None:
        raise NotFound(f"地名中没有编号为 {place_id} 的要素", f"place_names/{place_id} not found")
    return row


def _check_rules(conn: Any, props: dict[str, Any], geom: Any, place_id: int | None) -> None:
    require_no_errors(conn, props.get("name") or "", props.get("class_code") or "", geom, place_id)


def _create(props: dict[str, Any], ctx: Any) -> dict[str, Any]:
    given = [f for f in LIFECYCLE_FIELDS if props.get(f) not in (None, False) and
             not (f == "status" and props[f] == "proposed")]
    if given:
        raise _refuse_lifecycle(given, None)
    _check_rules(ctx.conn, props, ctx.geom, None)
    return {**prepare_place_name(props, ctx), "status": "proposed"}


def _respell(props: dict[str, Any], current: Any) -> dict[str, Any]:
    """The spelling and 专名/通名 after an edit: as given by hand; suggested afresh when the name or class
    changed or the spelling was cleared; else as stored (a PUT that leaves them out does not erase them).
    """
    out = dict(props)
    name, class_code = out.get("name", current["name"]), out.get("class_code", current["class_code"])
    spelling = suggest(name, class_code)
    if out.get("pinyin"):
        out["pinyin_manual"] = out["pinyin"] != spelling.toneless
        if "pinyin_toned" not in out:
            out["pinyin_toned"] = None if out["pinyin_manual"] else spelling.toned
    elif "pinyin" in out or (name, class_code) != (current["name"], current["class_code"]):
        out.update(pinyin=spelling.toneless, pinyin_toned=spelling.toned, pinyin_manual=False)
        out["specific_part"] = out.get("specific_part") or spelling.specific or None
        out["generic_part"] = out.get("generic_part") or spelling.generic or None
    return {**{f: current[f] for f in SPELLING_FIELDS}, **out}


def _update(props: dict[str, Any], ctx: Any) -> dict[str, Any]:
    current = _current(ctx.conn, ctx.feature_id)
    changed = [f for f in LIFECYCLE_FIELDS if f in props and props[f] != current[f]]
    if changed:
        raise _refuse_lifecycle(changed, ctx.feature_id)
    renamed = [f for f in CHECKED_FIELDS if f in props and props[f] != current[f]]
    if renamed and current["status"] != "proposed":
        status = NAME_STATUS.get(current["status"], current["status"])
        raise InvalidInput(
            f"“{current['name']}”当前状态为{status}：更改名称或类别须走更名流程"
            f"（/api/place-names/{ctx.feature_id}/rename，填写理由和批准文号；《地名管理条例》第十条）",
            "an approved name changes only by the rename step", field=renamed[0])
    if renamed or ctx.geom is not None:
        merged = {f: props.get(f, current[f]) for f in CHECKED_FIELDS}
        _check_rules(ctx.conn, merged, ctx.geom, ctx.feature_id)
    # a PUT sets every field: the lifecycle's values are kept, never reset to their defaults
    return {**_respell(props, current), **{f: current[f] for f in LIFECYCLE_FIELDS}}


def checked_write(props: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """The ``prepare_write`` hook of the place_names layer (see the module docstring)."""
    return _create(props, ctx) if ctx.feature_id is None else _update(props, ctx)


def checked_restore(write: Any) -> None:
    """The ``validate_write`` hook of the place_names layer: a restore may not skip the lifecycle (see the
    module docstring); ``write`` is a ``layers.features.ProposedWrite``.
    """
    if write.operation != "restore":
        return
    conn, place_id, old = write.conn, write.feature_id, write.properties
    version = old.get("version")
    row = conn.execute(text("SELECT to_jsonb(p) FROM place_names p WHERE id = :id"), {"id": place_id}).scalar()
    if row is None:
        return  # the generic restore says what is missing
    lifecycle = [f for f in LIFECYCLE_FIELDS if old.get(f) != row.get(f)]
    renamed = [f for f in CHECKED_FIELDS if old.get(f) != row.get(f)]
    if lifecycle or renamed and row.get("status") != "proposed":
        labels = _labels()
        named = "、".join(labels.get(f, f) for f in lifecycle + renamed)
        raise InvalidInput(f"恢复第 {version} 版会改变地名的{named}：地名的状态、批准信息和已批准的名称只能通过审批流程"
                           f"（{LIFECYCLE_STEPS}）修改",
                           f"restoring version {version} would change lifecycle fields or the approved name",
                           fields=lifecycle + renamed)
    if renamed:
        _check_rules(conn, {f: old.get(f) for f in CHECKED_FIELDS}, None, place_id)
