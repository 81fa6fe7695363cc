"""The joint inspection report (联合检查报告) of a campaign and the printable marker table.

Built as a plain document (``formats.documents``) and rendered to PDF, DOCX or XLSX.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection

from formats.documents import Document
from layers.boundaries import LINE_LEVELS
from layers.inspections.campaigns import get_campaign, list_findings
from layers.inspections.models import CONDITIONS
from layers.inspections.package import marker_rows, marker_table
from layers.inspections.photos import PhotoStore, campaign_photos
from layers.inspections.records import list_records
from layers.inspections.reportmap import campaign_map
from layers.labels import account_title

RECOMMENDATIONS = {
    "missing": "丢失的界桩应由双方共同按登记坐标恢复埋设，并补测方位物、报备案。",
    "damaged": "损坏的界桩应修复或更换，并在界桩登记表中注明。",
    "displaced": "移位的界桩应按登记位置复位；确需改变位置的，须双方协商、联合测定并报批备案。",
    "tilted": "倾斜的界桩应扶正加固。",
    "illegible": "注记不清的界桩应描红。",
    "reference_changed": "方位物变化的界桩应重新选定并测量方位物，更新界桩登记表。",
    "obscured": "被遮挡的界桩应清理周边，保持明显易见。",
}
MAX_REPORT_IMAGES = 24


def _team(team: dict[str, Any] | None) -> str:
    if not team:
        return "（未填写）"
    members = "、".join(team.get("members") or [])
    parts = [team.get("side") or "", team.get("organisation") or "",
             f"负责人 {team['leader']}" if team.get("leader") else "", f"成员 {members}" if members else ""]
    return "，".join(p for p in parts if p)


def _side_names(campaign: dict[str, Any]) -> list[str]:
    a = (campaign.get("team_a") or {}).get("side")
    b = (campaign.get("team_b") or {}).get("side")
    if not (a and b) and campaign["lines"]:
        a, b = a or campaign["lines"][0]["side_a"], b or campaign["lines"][0]["side_b"]
    return [f"甲方：{a or ''}", f"乙方：{b or ''}"]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _en(position: dict[str, Any] | None) -> tuple[str, str]:
    return (_fmt(position["e_4550"]), _fmt(position["n_4550"])) if position else ("", "")


def _inspectors(record: dict[str, Any]) -> str:
    return "、".join(account_title(p) for p in (record["inspector"], record["inspector_partner"]) if p)


def build_report(conn: Connection, campaign_id: int, store: PhotoStore | None = None) -> Document:
    campaign = get_campaign(conn, campaign_id)
    records = list_records(conn, campaign_id)
    markers = marker_rows(conn, campaign_id)
    findings = list_findings(conn, campaign_id)
    tolerance = campaign["tolerance_m"]
    doc = Document(title=f"{campaign['name']}联合检查报告",
                   subtitle=f"{campaign['year']} 年第 {campaign['round']} 轮 · {campaign['kind_title']}")
    doc.heading("一、基本情况")
    period = f"{campaign['start_date'] or '—'} 至 {campaign['end_date'] or '—'}"
    doc.paragraph(f"检查时间：{period}。甲方检查组：{_team(campaign['team_a'])}。乙方检查组：{_team(campaign['team_b'])}。")
    if campaign.get("trigger"):
        doc.paragraph(f"检查起因：{campaign['trigger']}")
    doc.paragraph(f"界桩位移容差 {tolerance:.2f} 米（{campaign['tolerance_basis'] or '默认值'}）；位移在 CGCS2000 "
                  "高斯-克吕格 3° 带（中央子午线 123°E，EPSG:4550）中计算，精确到厘米。")
    doc.heading("二、检查的界线")
    doc.table(["界线", "级别", "甲方", "乙方", "界线协议书", "长度（米）", "界桩数"],
              [[line["name"], LINE_LEVELS.get(line["line_level"], line["line_level"]), line["side_a"], line["side_b"],
                line["agreement_ref"] or "", _fmt(line["length_m"], 1), line["marker_count"]]
               for line in campaign["lines"]], "界线")
    doc.heading("三、界桩检查情况")
    inspected = {r["marker_id"] for r in records}
    counts = Counter(r["condition"] for r in records)
    doc.paragraph(f"应检界桩 {len(markers)} 个，已检 {len(inspected)} 个，未检 {len(markers) - len(inspected)} 个。")
    rows = [[label, counts.get(code, 0)] for code, label in CONDITIONS.items()]
    if counts.get(None):
        rows.append(["未记录状况", counts[None]])
    doc.table(["状况", "数量"], rows, "按状况统计")
    unchecked = [m for m in markers if m["id"] not in inspected]
    if unchecked:
        doc.paragraph("未检界桩：" + "、".join(f"{m['line_name']} {m['number']}" for m in unchecked))
    doc.heading("四、界桩位移")
    exceeding = [r for r in records if r["exceeds_tolerance"]]
    doc.paragraph(f"实测位移超过容差（{tolerance:.2f} 米）的界桩 {len(exceeding)} 个。")
    doc.table(["界桩号", "状况", "登记 E", "登记 N", "实测 E", "实测 N", "位移（米）", "超限", "检查人"],
              [[r["marker_number"], r["condition_title"],
                *_en(r["registered_position"]), *_en(r["measured_position"]),
                _fmt(r["displacement_m"]), "是" if r["exceeds_tolerance"] else "否",
                _inspectors(r)] for r in records], "位移表")
    picture = campaign_map(conn, campaign_id, markers, records)
    if picture is not None:
        doc.image(picture, "图 1　界桩检查情况与位移示意图", width_mm=170)
    noted = [r for r in records if r["notes"] or r["reference_check"]]
    if noted:
        doc.paragraph("检查组现场记录（方位物核对与备注）：")
        doc.table(["界桩号", "状况", "检查时间", "检查人", "方位物核对", "备注"],
                  [[r["marker_number"], r["condition_title"], (r["measured_at"] or "")[:16].replace("T", " "),
                    _inspectors(r), r["reference_check"] or "", r["notes"] or ""] for r in noted], "检查组记录")
    doc.heading("五、界线沿线情况")
    if findings:
        doc.table(["界线", "类别", "情况", "处理"],
                  [[f["line_name"], f["kind_title"], f["description"], f["handling"] or ""] for f in findings],
                  "沿线情况")
    else:
        doc.paragraph("未记录沿线地物变化、跨界建设或其他问题。")
    doc.heading("六、问题与建议")
    advice = [f"{CONDITIONS[code]} {n} 个：{RECOMMENDATIONS[code]}" for code, n in counts.items()
              if code in RECOMMENDATIONS and n]
    if exceeding:
        advice.append(f"位移超限 {len(exceeding)} 个（" + "、".join(r["marker_number"] for r in exceeding)
                      + "）：应核实原因，复位或经双方同意后复测并更新登记位置。")
    advice += [f"{f['line_name']}：{f['description']}（处理：{f['handling']}）" for f in findings if f["handling"]]
    for i, line in enumerate(advice or ["界桩完好，界线清楚，无需处理。"], 1):
        doc.paragraph(f"{i}. {line}")
    doc.heading("七、照片索引")
    photos = campaign_photos(conn, campaign_id)
    missing = [(r["marker_number"], n) for r in records for n in r["photos"]["missing"]]
    doc.table(["序号", "界线", "界桩号", "文件名", "SHA-256（前 12 位）"],
              [[i, p["line_name"], p["marker_number"], p["name"], p["sha256"][:12]] for i, p in enumerate(photos, 1)],
              "照片索引")
    if missing:
        doc.paragraph("记录中列出但尚未收到的照片：" + "、".join(f"{m} {n}" for m, n in missing))
    if store is not None:
        for p in photos[:MAX_REPORT_IMAGES]:
            thumb = store.thumb(p["sha256"])
            if thumb.exists():
                doc.image(thumb.read_bytes(), f"{p['marker_number']} · {p['name']}")
    doc.heading("八、签字")
    doc.paragraph("双方检查组对以上检查结果无异议。")
    doc.signatures(_side_names(campaign))
    return doc


def build_marker_table(conn: Connection, campaign_id: int) -> Document:
    campaign = get_campaign(conn, campaign_id)
    header, rows = marker_table(conn, campaign_id)
    doc = Document(title=f"{campaign['name']}界桩检查表",
                   subtitle="登记位置：CGCS2000 经纬度；E/N 为 EPSG:4550（中央子午线 123°E），"
                            "Y 为带带号 41 的 EPSG:4529")
    doc.table(header, rows, "界桩检查表")
    doc.signatures(_side_names(campaign))
    return doc
