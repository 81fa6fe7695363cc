"""The site-check report (公墓选址合规检查报告): a check result as a document with its map.

Built from the plain report dict (``check_site`` or a candidate's frozen copy) and the map PNG
(``layers.siting.report_map``) as an ``formats.documents.Document``, which is written as PDF or
as one standalone HTML page. No database access here.

>>> required_text({"required_distance_m": 0, "constraint": "basic_farmland"})
'区内禁止'
>>> required_text({"required_distance_m": 2000, "constraint": "scenic_area"})
'区内禁止，区外 ≥ 2,000 米'
>>> required_text({"required_distance_m": 500, "constraint": "railway"})
'≥ 500 米'
>>> measured_text({"distance_m": 0.0, "inside": True, "overlap_area_m2": 1250.0})
'位于区内（重叠 1,250.0 平方米）'
>>> measured_text({"distance_m": None, "inside": False, "overlap_area_m2": None})
'—'
>>> measured_text({"distance_m": 17.0, "inside": False, "centreline_distance_m": 31.0, "width_m": 28.0})
'距用地边缘 17.0 米（距中心线 31.0 米，宽 28 米）'
>>> local_time("2025-05-01T02:03:04+00:00")
'2025-05-01 10:03'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import shapely.geometry

from formats.documents import Document
from formats.srids import METRIC_CRS, STORAGE_CRS
from layers.catalog import registry
from layers.geometry import transformer
from layers.labels import account_title
from layers.siting.rules import CONSTRAINTS, shipped

TITLE = "公墓选址合规检查报告"
CHINA = timezone(timedelta(hours=8), "UTC+8")
GRADES = {"law": "法规", "report": "二手资料", "default": "默认值", "local": "地方参数"}
MU = 2000 / 3  # square metres in one 亩
RESULT_HEADER = ["约束", "要求距离", "实测距离", "最近要素", "结论"]


def local_time(iso: str | None) -> str:
    """An ISO timestamp shown in China time (UTC+8, no daylight saving)."""
    if not iso:
        return "—"
    when = datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def required_text(result: dict[str, Any]) -> str:
    distance = result["required_distance_m"]
    if distance <= 0:
        return "区内禁止"
    if CONSTRAINTS[result["constraint"]].areal:
        return f"区内禁止，区外 ≥ {distance:,.0f} 米"
    return f"≥ {distance:,.0f} 米"


def measured_text(result: dict[str, Any]) -> str:
    distance = result["distance_m"]
    if distance is None:
        return "—"
    if result.get("inside"):
        overlap = result.get("overlap_area_m2")
        return "位于区内" + (f"（重叠 {overlap:,.1f} 平方米）" if overlap else "")
    centre = result.get("centreline_distance_m")
    if centre is not None:  # a road or railway: measured from its edge, as the law measures
        return f"距用地边缘 {distance:,.1f} 米（距中心线 {centre:,.1f} 米，宽 {result['width_m']:g} 米）"
    if distance == 0:
        return "0 米（相接）"
    return f"{distance:,.1f} 米"


def nearest_text(result: dict[str, Any]) -> str:
    nearest = result.get("nearest")
    if not nearest:
        return "全市范围内无此类要素"
    spec = registry().get(nearest["layer"])
    return f"{nearest.get('name') or '（未命名）'}（{spec.title if spec else nearest['layer']} #{nearest['id']}）"


def verdict_text(result: dict[str, Any]) -> str:
    if result["violated"]:
        return "不符合" if result["hard"] else "不符合（建议性规则）"
    return "符合（无此类要素）" if result.get("nearest") is None else "符合"


def _label(result: dict[str, Any]) -> str:
    return result["label"] + ("" if result["hard"] else "（建议性）")


def overall_text(report: dict[str, Any]) -> str:
    hard = [_label(r) for r in report["results"] if r["violated"] and r["hard"]]
    soft = [_label(r) for r in report["results"] if r["violated"] and not r["hard"]]
    text = (f"不合规：违反 {len(hard)} 条强制性规则（{'、'.join(hard)}）" if hard
            else "合规：未违反任何强制性规则")
    if soft:
        text += f"；另有 {len(soft)} 条建议性规则未满足（{'、'.join(soft)}）"
    return text + "。"


def location_text(report: dict[str, Any]) -> str:
    township = (report.get("township") or {}).get("name")
    village = (report.get("village") or {}).get("name")
    if not (township or village):
        return "不在任何乡镇（街道）、村（社区）范围内"
    return "海城市" + (township or "") + (village or "")


def position_text(report: dict[str, Any]) -> str:
    point = shapely.geometry.shape(report["geometry"]).representative_point()
    east, north = transformer(STORAGE_CRS, METRIC_CRS).transform(point.x, point.y)
    return (f"东经 {point.x:.6f}°，北纬 {point.y:.6f}°（CGCS2000）；E {east:,.2f}，N {north:,.2f}"
            "（EPSG:4550）")


def area_text(report: dict[str, Any]) -> str:
    area = report.get("area_m2") or 0
    if area <= 0:
        return "点位（未给出用地范围）"
    return f"{area:,.1f} 平方米（约 {area / MU:,.2f} 亩）"


def build_site_report(report: dict[str, Any], map_png: bytes | None, checker: str | None = None,
                      candidate: dict[str, Any] | None = None) -> Document:
    """The report document; ``candidate`` (a saved candidate site) adds its name, status and history."""
    subtitle = (f"候选地：{candidate['name']}（编号 {candidate['id']}，{candidate['status_title']}）" if candidate
                else "选址检查（未保存）")
    doc = Document(title=TITLE, subtitle=subtitle)
    rule_set = report["rule_set"]
    doc.heading("一、基本情况")
    doc.table(["项目", "内容"], [
        ["选址位置", location_text(report)],
        ["坐标", position_text(report)],
        ["面积", area_text(report)],
        ["规则集", f"{rule_set['name']}（编号 {rule_set['id']}，第 {rule_set['version']} 版）"],
        ["检查时间", local_time(report.get("checked_at"))],
        ["检查人", account_title(checker or report.get("checked_by")) or "—"],
        ["总体结论", overall_text(report)],
    ], "基本情况", widths=[1, 5])
    if map_png:
        doc.heading("二、位置示意图")
        doc.image(map_png, "图 1  选址、各要求距离范围（虚线圈）与各类最近要素；点线为选址到最近要素的最短距离。",
                  width_mm=180)
    doc.heading("三、检查结果" if map_png else "二、检查结果")
    doc.table(RESULT_HEADER, [[_label(r), required_text(r), measured_text(r), nearest_text(r), verdict_text(r)]
                              for r in report["results"]], "检查结果", widths=[2.2, 2.4, 2.4, 3.4, 1.8])
    doc.paragraph("距离为选址（点或面）到要素的最短距离，在 CGCS2000 高斯-克吕格 3° 带（中央子午线 123°E，"
                  "EPSG:4550）中计算，精确到 0.1 米；距离恰等于要求距离视为符合。“区内禁止”的规则只在选址与"
                  "区域内部重叠时判为不符合，边界相接不算。公路、铁路的距离按法规的起算点，自公路用地外缘（《公路"
                  "安全保护条例》第十一条）、铁路路堤坡脚或路堑坡顶、桥梁外侧（《铁路安全管理条例》第二十七条）量起："
                  "到边缘的距离 = "
                  "到中心线的距离 − 用地宽度/2（不小于 0），两个数都列出；要素未记录宽度时用按等级的默认宽度，"
                  "其依据见下表。")
    widths = [r for r in report["results"] if r.get("width_source") == "default"]
    if widths:
        doc.table(["约束", "默认宽度", "依据"], [[r["label"], f"{r['width_m']:g} 米", r.get("width_basis") or ""]
                                           for r in widths], "默认宽度", widths=[2, 1.5, 8])
    doc.heading("四、规则依据" if map_png else "三、规则依据")
    doc.table(["约束", "要求距离", "依据等级", "依据"],
              [[_label(r), required_text(r), GRADES.get(r.get("grade"), r.get("grade") or ""), r.get("basis") or ""]
               for r in report["results"]], "规则依据", widths=[2, 2.2, 1.3, 8])
    grades = shipped().get("basis_grades", {})
    doc.paragraph("依据等级：" + "；".join(f"{GRADES[k]}——{v}" for k, v in grades.items() if k in GRADES) + "。")
    doc.paragraph(shipped().get("description", ""))
    if candidate:
        doc.heading("五、审批记录")
        doc.table(["时间", "操作人", "状态", "说明"],
                  [[local_time(e["at"]), account_title(e["by"]), e["to_status_title"], e.get("note") or ""]
                   for e in candidate.get("events", [])], "审批记录", widths=[2, 1.5, 1.5, 5])
        doc.paragraph("本报告为保存候选地时冻结的检查结果；示意图中的要素几何取自当前数据。")
    return doc
