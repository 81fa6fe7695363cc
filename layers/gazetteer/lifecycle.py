"""A name's life: 拟命名 → 已批准 (code assigned) → 已公告, filed (备案) on the way; 更名; 废止 (historical,
still searchable). 《地名管理条例》 Art. 13/14: filing and announcement within 15 days of approval —
:func:`deadlines` lists what is due or late.

Every step is an UPDATE of the place through the generic feature store, so it needs the version the
editor saw and is written to the feature history with who, when and why. The 20-digit code is
county 6 + township 3 + class 5 + sequence 6; the sequence is per township and class, never
reused (retired and historical records count), taken under a transaction-level advisory lock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, text

from layers.errors import Conflict, InvalidInput, NotFound
from layers.features import update_feature
from layers.gazetteer.classes import class_table
from layers.gazetteer.declaration import PLACE_NAMES
from layers.gazetteer.names import add_variant
from layers.gazetteer.pinyin import suggest
from layers.gazetteer.rules import require_no_errors
from layers.registry import LayerSpec
from layers.roles import Actor

COUNTY_CODE = "210381"
NO_TOWNSHIP = "000"  # county-level records (the county itself) have no township


def _spec() -> LayerSpec:
    return PLACE_NAMES


def _load(conn: Connection, place_id: int) -> Any:
    row = conn.execute(text(
        "SELECT id, version, code, name, pinyin, class_code, township_code, status, culture_protected, "
        "approval_date, filed_date, filed_to, announced_date, retired_at FROM place_names WHERE id = :id"),
        {"id": place_id}).first()
    if row is None or row.retired_at is not None:
        raise NotFound(f"没有编号为 {place_id} 的地名", f"place name {place_id} not found")
    return row


def _require_status(row: Any, *allowed: str, action: str) -> None:
    if row.status not in allowed:
        from layers.place_names import NAME_STATUS

        raise Conflict(f"“{row.name}”当前状态为{NAME_STATUS.get(row.status, row.status)}，不能{action}",
                       f"cannot {action} a name in status {row.status}", status=row.status)


def next_code(conn: Connection, township_code: str | None, class_code: str) -> str:
    """The next free 20-digit code of a township and class (locks the sequence until commit)."""
    if class_code not in class_table():
        raise InvalidInput(f"类别代码“{class_code}”不在地名类别表中，不能编码", f"unknown class {class_code!r}",
                           field="class_code")
    township = township_code[-3:] if township_code else NO_TOWNSHIP
    prefix = f"{COUNTY_CODE}{township}{class_code}"
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('place_name_code:' || :p))"), {"p": prefix})
    last = conn.execute(text("SELECT max(substr(code, 15, 6)) FROM place_names WHERE code LIKE :p || '%' "
                             "AND length(code) = 20"), {"p": prefix}).scalar_one()
    return f"{prefix}{int(last or 0) + 1:06d}"


def approve(conn: Connection, place_id: int, expected_version: int, actor: Actor, *, authority: str,
            doc_no: str, approval_date: date, reason: str | None = None) -> int:
    """拟命名 → 已批准: runs every naming rule (an error refuses), records the approval and assigns the
    code (kept if it has one).
    """
    row = _load(conn, place_id)
    _require_status(row, "proposed", action="批准")
    if not (authority or "").strip() or not (doc_no or "").strip():
        raise InvalidInput("请填写批准机关和批准文号", "authority and doc_no are required")
    require_no_errors(conn, row.name, row.class_code, None, place_id, f"“{row.name}”")
    is_county = row.class_code == "03100" and row.name.endswith(("市", "县"))
    if not row.township_code and not is_county:
        raise InvalidInput("无法确定该地名所在乡镇（位置不在任何乡镇范围内），不能编制地名代码",
                           "no township for the place: cannot assign a code", field="geometry")
    props: dict[str, Any] = {"status": "approved", "approval_authority": authority.strip(),
                             "approval_doc_no": doc_no.strip(), "approval_date": approval_date, "approved_here": True}
    if not row.code:
        props["code"] = next_code(conn, row.township_code, row.class_code)
    return update_feature(conn, _spec(), place_id, expected_version, props, None, actor,
                          reason or f"批准（{doc_no.strip()}）")


def announce(conn: Connection, place_id: int, expected_version: int, actor: Actor, *, announced_date: date,
             reason: str | None = None) -> int:
    """已批准 → 已公告 with the announcement date."""
    row = _load(conn, place_id)
    _require_status(row, "approved", action="公告")
    if row.approval_date and announced_date < row.approval_date:
        raise InvalidInput("公告日期早于批准日期", "announced before approval", field="announced_date")
    return update_feature(conn, _spec(), place_id, expected_version,
                          {"status": "announced", "announced_date": announced_date}, None, actor, reason or "公告")


def file_record(conn: Connection, place_id: int, expected_version: int, actor: Actor, *, filed_date: date,
                filed_to: str, reason: str | None = None) -> int:
    """备案: the approved name was filed with the government above (Art. 13)."""
    row = _load(conn, place_id)
    _require_status(row, "approved", "announced", action="备案")
    if not (filed_to or "").strip():
        raise InvalidInput("请填写备案机关", "filed_to is required", field="filed_to")
    if row.approval_date and filed_date < row.approval_date:
        raise InvalidInput("备案日期早于批准日期", "filed before approval", field="filed_date")
    return update_feature(conn, _spec(), place_id, expected_version,
                          {"filed_date": filed_date, "filed_to": filed_to.strip()}, None, actor,
                          reason or f"备案（{filed_to.strip()}）")


DEADLINE_DAYS = 15  # 《地名管理条例》 Art. 13 (备案) and Art. 14 (公告): within 15 days of approval
BEIJING = timezone(timedelta(hours=8))  # China Standard Time, no daylight saving


def beijing_today() -> date:
    """Days count in Beijing, whatever zone the server's clock is in."""
    return datetime.now(BEIJING).date()


def deadlines(conn: Connection, today: date, within_days: int = 5) -> list[dict[str, Any]]:
    """Filings and announcements of names approved in this system that are late, or due within
    ``within_days``, latest first (names on record before, or imported, are not held to it).
    """
    rows = conn.execute(text(
        "SELECT id, name, code, status, approval_date, filed_date, announced_date FROM place_names "
        "WHERE retired_at IS NULL AND approved_here AND status IN ('approved', 'announced') "
        "AND approval_date IS NOT NULL "
        "AND (filed_date IS NULL OR (status = 'approved' AND announced_date IS NULL)) ORDER BY approval_date, id"))
    out = []
    for r in rows:
        due = r.approval_date + timedelta(days=DEADLINE_DAYS)
        steps = [step for step, done in (("备案", r.filed_date), ("公告", r.announced_date if r.status == "approved"
                                                                     else True)) if not done]
        left = (due - today).days
        if steps and left <= within_days:
            out.append({"id": r.id, "name": r.name, "code": r.code, "status": r.status,
                        "approval_date": r.approval_date.isoformat(), "due_date": due.isoformat(), "steps": steps,
                        "overdue": left < 0, "days_left": left,
                        "message": (f"{'、'.join(steps)}已逾期 {-left} 天" if left < 0
                                    else f"{'、'.join(steps)}须在 {left} 天内完成（{due.isoformat()} 前）")})
    return sorted(out, key=lambda d: d["days_left"])


def _refiling(row: Any, rename_date: date) -> str:
    """What a renaming does to filing and announcement (Art. 13/14), for the history's reason."""
    old = "、".join(part for part in (
        f"{row.filed_date.isoformat()} 向{row.filed_to}备案" if row.filed_date else "",
        f"{row.announced_date.isoformat()} 公告" if row.announced_date else "") if part) or "未备案、未公告"
    due = rename_date + timedelta(days=DEADLINE_DAYS)
    return (f"原名“{row.name}”的备案、公告（{old}）保留在其历史名称中；新名称须于 {due.isoformat()} 前"
            "重新备案、公告（《地名管理条例》第十三条、第十四条）")


def rename(conn: Connection, place_id: int, expected_version: int, actor: Actor, *, new_name: str, doc_no: str,
           rename_date: date, justification: str, authority: str | None = None,
           pinyin: str | None = None, pinyin_toned: str | None = None) -> int:
    """更名 (Art. 10: only when name and reality no longer match, with a reason): the old standard name
    becomes a 历史名称 ending on ``rename_date``, with the document, the reason and the filing and
    announcement it had; the place keeps its id and code and is 已批准 again under the new name, whose
    own 15-day filing and announcement deadlines start on ``rename_date`` (Art. 13/14).
    """
    row = _load(conn, place_id)
    _require_status(row, "approved", "announced", action="更名")
    new_name = (new_name or "").strip()
    if new_name == row.name:
        raise InvalidInput("新名称与现名相同", "new name equals the current name", field="new_name")
    if not (doc_no or "").strip():
        raise InvalidInput("请填写更名批准文号", "doc_no is required", field="doc_no")
    justification = (justification or "").strip()
    if not justification:
        protected = "列入地名保护名录，" if row.culture_protected else ""
        raise InvalidInput(f"“{row.name}”{protected}更名须填写理由（《地名管理条例》第十条：地名与实际不符等）",
                           "a rename needs a justification", field="justification")
    if row.approval_date and rename_date < row.approval_date:
        raise InvalidInput("更名日期早于原名批准日期", "renamed before approval", field="rename_date")
    require_no_errors(conn, new_name, row.class_code, None, place_id, "新名称")
    add_variant(conn, place_id, row.name, "historical", pinyin=row.pinyin, start_date=row.approval_date,
                end_date=rename_date, document=doc_no.strip(), source=authority,
                renaming={"reason": justification, "filed_date": row.filed_date, "filed_to": row.filed_to,
                          "announced_date": row.announced_date})
    spelling = suggest(new_name, row.class_code)
    props = {"name": new_name, "specific_part": spelling.specific or None, "generic_part": spelling.generic or None,
             "pinyin": pinyin or spelling.toneless,
             "pinyin_toned": pinyin_toned or (None if pinyin else spelling.toned),
             "pinyin_manual": bool(pinyin) and pinyin != spelling.toneless,
             "status": "approved", "approval_doc_no": doc_no.strip(), "approval_date": rename_date,
             # the new name's own filing and announcement are still to come; the old ones are in its variant
             "announced_date": None, "filed_date": None, "filed_to": None,
             "approved_here": True}
    if authority:
        props["approval_authority"] = authority
    why = (f"更名：{row.name} → {new_name}（{doc_no.strip()}）；理由：{justification}；"
           f"{_refiling(row, rename_date)}")
    return update_feature(conn, _spec(), place_id, expected_version, props, None, actor, why)


def abolish(conn: Connection, place_id: int, expected_version: int, actor: Actor, *, abolished_date: date,
            doc_no: str | None = None, reason: str | None = None) -> int:
    """废止: the record becomes historical (历史地名) with its year; it stays searchable."""
    row = _load(conn, place_id)
    _require_status(row, "proposed", "approved", "announced", action="废止")
    why = "废止" + (f"（{doc_no}）" if doc_no else "") + (f"：{reason}" if reason else "")
    return update_feature(conn, _spec(), place_id, expected_version,
                          {"status": "historical", "abolished_year": abolished_date.year}, None, actor, why)
