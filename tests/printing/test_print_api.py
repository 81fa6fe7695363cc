"""POST /api/print: an A4/A3 sheet of the view with its visible layers — exact scale and scale bar,
title, legend, 制图单位 and Beijing date in the PDF; personal layers only for roles that read them,
audited; bad input refused in Chinese."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.utils.documents import PRINT_BBOX
from tests.utils.features import create, line, point

BBOX = PRINT_BBOX


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def scene(client):
    create(client, "roads", line((122.71, 40.81), (122.75, 40.83)), road_class="county", name="测试县道")
    create(client, "shelters", point(122.72, 40.82), name="测试避难场所", shelter_type="emergency")
    create(client, "shelters", point(122.90, 40.95), name="范围外的场所", shelter_type="emergency")
    create(client, "households", point(122.73, 40.815), head_name="测试户主", categories=["dibao"])


def test_a4_landscape_sheet_has_exact_scale_title_legend_unit_and_date(client, tmp_path):
    scene(client)
    response = client.post("/api/print", json={"bbox": BBOX, "layers": ["roads", "shelters"], "size": "A4",
                                               "orientation": "landscape", "title": "测试出图", "format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    # EPSG:4550 extent of the box (pyproj): 5,075.5 m × 4,457.6 m; the A4 landscape frame is 222 × 166 mm,
    # wider than the box, so the height rules: 4,457.6 m × 222 / 166 = 5,961.4 m across 0.222 m = 1:26,853;
    # the bar is the 1/2/5 × 10ⁿ not above a fifth of the width (1,192 m): 1,000 m.
    assert response.headers["x-print-scale"] == "1:26853"
    assert response.headers["x-print-scale-bar-m"] == "1000"
    assert response.headers["x-print-layers"] == "roads=1,shelters=1"  # the one outside the view is left out
    words = "".join(pdf_text(response.content, tmp_path).split())
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    assert "测试出图" in words and "图例" in words and "公路" in words and "应急避难场所" in words
    assert "比例尺1:26,853" in words
    assert "制图单位：海城市民政局" in words and f"制图日期：{today.year}年{today.month}月{today.day}日" in words


def test_a3_portrait_png(client):
    response = client.post("/api/print", json={"bbox": BBOX, "layers": ["shelters"], "size": "A3",
                                               "orientation": "portrait", "format": "png"})
    assert response.status_code == 200 and response.content[:4] == b"\x89PNG"
    from io import BytesIO

    from PIL import Image
    assert Image.open(BytesIO(response.content)).size == (1753, 2480)  # 297 × 420 mm at 150 dpi (floored)
    # the A3 portrait frame is 277 × 346 mm, narrower than the box: the width rules, 5,075.5 m / 0.277 m
    assert response.headers["x-print-scale"] == "1:18323" and response.headers["x-print-scale-bar-m"] == "1000"


def test_personal_layer_prints_only_for_readers_and_is_audited(client, client_as, conn):
    scene(client)
    before = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'print'")).scalar_one()
    refused = client_as("viewer").post("/api/print", json={"bbox": BBOX, "layers": ["households"]})
    assert refused.status_code == 403 and "无权查看图层" in refused.json()["message"]
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'print'")).scalar_one() == before
    printed = client_as("case_worker").post("/api/print", json={"bbox": BBOX, "layers": ["households", "shelters"]})
    assert printed.status_code == 200 and printed.headers["x-print-layers"] == "households=1,shelters=1"
    rows = conn.execute(text("SELECT username, layer FROM audit_log WHERE action = 'print' ORDER BY id")).all()
    assert [tuple(r) for r in rows[before:]] == [("case_worker", "households")]  # the public layer is not audited


def test_bad_requests_are_refused_in_chinese(client):
    cases = [({"bbox": [122.76, 40.80, 122.70, 40.84]}, "打印范围（bbox）"),
             ({"bbox": BBOX, "layers": ["nope"]}, "没有这些图层：nope"),
             ({"bbox": BBOX, "size": "A0"}, "纸张（size）应为 A4、A3 之一"),
             ({"bbox": BBOX, "format": "svg"}, "格式（format）应为 pdf、png 之一"),
             ({"bbox": BBOX, "title": "长" * 61}, "图名（title）")]
    for body, message in cases:
        response = client.post("/api/print", json=body)
        assert response.status_code == 422 and message in response.json()["message"], (body, response.text)
