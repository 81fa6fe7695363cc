"""The site-check report: the map image, the document, its PDF and standalone HTML, and the API.

PDF text is read back with poppler's ``pdftotext`` (Debian ``poppler-utils``); a missing tool is a
failure, not a skip.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from formats.documents import to_html, to_pdf
from formats.mapimage import MAP_WIDTH
from layers.siting.check import check_site
from layers.siting.report import TITLE, build_site_report
from layers.siting.report_map import fetch_features, render_site_map, site_map
from layers.siting.rules import get_rule_set
from tests.utils.documents import pdf_text, render_first_page
from tests.utils.siting import geojson, insert, railway, rect, river, road, seg, township, village, zone

T = "210381190"
SITE = rect(-50, -50, 50, 50)


@pytest.fixture
def scene(conn):
    township(conn, T, rect(-6000, -6000, 6000, 6000), name="甲镇")
    village(conn, T + "201", rect(-3000, -3000, 3000, 3000), name="甲村")
    return {
        "county": road(conn, seg((-4000, 300), (4000, 300)), "county", name="县道X123"),
        "expressway": road(conn, seg((-4000, -400), (4000, -900)), "expressway", name="沈大高速"),
        "rail": railway(conn, seg((1500, -4000), (1500, 4000)), "high_speed"),
        "river": river(conn, seg((-4000, -2500), (4000, -2000))),
        "farmland": zone(conn, "basic_farmland", rect(0, 0, 600, 600), name="基本农田一号"),
        "scenic": zone(conn, "scenic_area", rect(-3000, 1500, -2000, 2500), name="测试风景区"),
    }


@pytest.fixture
def report(conn, scene):
    from shapely.geometry import shape

    return check_site(conn, shape(geojson(SITE)), get_rule_set(conn))


def red_pixels(png: bytes, box: tuple[int, int, int, int]) -> int:
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB").crop(box)).astype(int)
    return int(((rgb[..., 0] > 190) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)).sum())


def test_map_shows_site_rings_and_features(conn, report):
    features = fetch_features(conn, report)
    names = {f.name for f in features}
    assert {"县道X123", "沈大高速", "测试铁路", "测试河", "基本农田一号", "测试风景区"} <= names
    assert all(not f.geom.is_empty for f in features if f.name != "测试风景区")
    png = site_map(conn, report)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1600, 1100)
    # the site sits at the centre of the map panel (the left part of the image): red there
    cx, cy = int(1600 * (0.01 + MAP_WIDTH / 2)), 550
    assert red_pixels(png, (cx - 40, cy - 40, cx + 40, cy + 40)) > 50
    # the same map with no features still draws the site, rings, scale bar and north arrow
    bare = render_site_map(report, [], None, size_px=(800, 550))
    assert Image.open(io.BytesIO(bare)).size == (800, 550)
    cx = int(800 * (0.01 + MAP_WIDTH / 2))
    assert red_pixels(bare, (cx - 20, 275 - 20, cx + 20, 275 + 20)) > 10


def test_document_pdf_and_html(conn, report, tmp_path):
    doc = build_site_report(report, site_map(conn, report), checker="张三")
    text = pdf_text(to_pdf(doc), tmp_path, "site_report")
    compact = re.sub(r"\s+", "", text)
    for expected in (TITLE, "海城市甲镇甲村", "不合规", "沈大高速", "基本农田保护区", "位于区内", "区内禁止",
                     "张三", "《殡葬管理条例》第十条", "三沿六区默认规则（海城市）", "第1版"):
        assert expected in compact, expected
    assert "10,000.0平方米" in compact  # the 100 m × 100 m site
    page = render_first_page(to_pdf(doc), tmp_path, "site_report")
    assert Image.open(page).size[0] > 500
    html = to_html(doc)
    (tmp_path / "site_report.html").write_text(html, encoding="utf-8")  # kept under basetemp for a look
    assert html.startswith("<!DOCTYPE html>") and TITLE in html
    assert "<th>约束</th><th>要求距离</th><th>实测距离</th><th>最近要素</th><th>结论</th>" in html
    assert html.count('src="data:image/png;base64,') == 1
    assert not re.search(r"https?://", html)
    assert "<script" not in html


def test_report_endpoints(client, scene, tmp_path):
    body = {"geometry": geojson(SITE)}
    pdf = client.post("/api/siting/report.pdf", json=body)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    compact = re.sub(r"\s+", "", pdf_text(pdf.content, tmp_path, "api_report"))
    assert TITLE in compact and "admin" in compact and "不合规" in compact
    html = client.post("/api/siting/report.html", json=body)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "data:image/png;base64," in html.text and not re.search(r"https?://", html.text)
    assert client.post("/api/siting/report.docx", json=body).status_code == 422
    assert client.post("/api/siting/report.pdf", json={"geometry": None}).status_code == 422


def test_candidate_report_is_the_frozen_one(client_as, scene, conn, tmp_path):
    planner = client_as("funeral_planner")
    site = {"geometry": geojson(rect(-2550, -50, -2450, 50)), "name": "甲村公墓候选地"}
    candidate = planner.post("/api/siting/candidates", json=site).json()
    # a later, stricter rule set version does not change the saved report
    rule_set = candidate["rule_set_id"]
    assert planner.post(f"/api/siting/rule-sets/{rule_set}/versions", json={
        "based_on": 1, "rules": [{"constraint": "highway", "class": "county", "distance_m": 4000}]}).status_code == 201
    viewer = client_as("viewer")
    pdf = viewer.get(f"/api/siting/candidates/{candidate['id']}/report.pdf")
    assert pdf.status_code == 200, pdf.text
    compact = re.sub(r"\s+", "", pdf_text(pdf.content, tmp_path, "candidate_report"))
    assert "甲村公墓候选地" in compact and "第1版" in compact
    # the checker and each step's account by the role's title, not the raw account code (issue 16 item 3)
    assert "检查人殡葬规划账号" in compact and "funeral_planner" not in compact
    assert "审批记录" in compact and "≥4,000米" not in compact
    render_first_page(pdf.content, tmp_path, "candidate_report")
    html = viewer.get(f"/api/siting/candidates/{candidate['id']}/report.html")
    assert html.status_code == 200 and "甲村公墓候选地" in html.text and "data:image/png;base64," in html.text
    assert viewer.get("/api/siting/candidates/999999/report.pdf").status_code == 404


def test_report_without_any_feature(conn, tmp_path):
    """No constraint features at all: every rule passes with 'none found', the map still renders."""
    from shapely.geometry import shape

    insert(conn, "villages", rect(-3000, -3000, 3000, 3000), code=T + "202", name="乙村", township_code=T)
    report = check_site(conn, shape(geojson(SITE)), get_rule_set(conn))
    doc = build_site_report(report, site_map(conn, report))
    compact = re.sub(r"\s+", "", pdf_text(to_pdf(doc), tmp_path, "empty"))
    assert "合规：未违反任何强制性规则" in compact and "全市范围内无此类要素" in compact
