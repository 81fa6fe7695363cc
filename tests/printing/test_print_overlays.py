"""A page's own overlays on the printed sheet (issue 16: printing /coverage sent only registry layers, so
its service radii, shaded villages and legend were missing): a circle is drawn as its true radius in
EPSG:4550 at the page's colour, each overlay is a legend entry, bad overlays are refused in Chinese."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from formats.mapsheet import Sheet
from layers.geometry import reproject
from layers.printing import metric_extent
from tests.utils.documents import PRINT_BBOX as BBOX
from tests.utils.documents import pdf_text
from tests.utils.features import point

BLUE = (0x1F, 0x4E, 0x9C)
DPI = 150
SHEET = Sheet("A4", "landscape")
_X0, _Y0, _X1, _Y1 = metric_extent((BBOX[0], BBOX[1], BBOX[2], BBOX[3]))
CENTRE_M = ((_X0 + _X1) / 2, (_Y0 + _Y1) / 2)  # the view's centre: the sheet centres the frame on it


def centre_lonlat() -> tuple[float, float]:
    from shapely.geometry import Point

    p = reproject(Point(*CENTRE_M), "EPSG:4550", "EPSG:4490")
    return p.x, p.y


def radius(metres: float = 1000.0, **style: object) -> dict[str, object]:
    return {"title": "服务半径（容量足够）", "color": "#1f4e9c", "fill": "#1f4e9c", "opacity": 1, **style,
            "features": [{"geometry": point(*centre_lonlat()), "radius_m": metres}]}


def pixel_east_of_centre(image: Image.Image, metres: float, scale: float) -> tuple[int, ...]:
    """The colour of the sheet's pixel ``metres`` east of the frame's centre (the view's centre) at 1:scale."""
    (_, ph), (fx, fy, fw, fh) = SHEET.page_mm, SHEET.frame_mm
    x_mm = fx + fw / 2 + metres * 1000 / scale
    y_mm = ph - (fy + fh / 2)
    return image.getpixel((round(x_mm / 25.4 * DPI), round(y_mm / 25.4 * DPI)))[:3]


def test_a_radius_is_drawn_to_scale_in_its_colour(client):
    response = client.post("/api/print", json={"bbox": BBOX, "format": "png", "overlays": [radius()]})
    assert response.status_code == 200, response.text
    scale = float(response.headers["x-print-scale"].split(":")[1])  # 1:26853 (test_print_api)
    image = Image.open(BytesIO(response.content)).convert("RGB")
    assert pixel_east_of_centre(image, 0, scale) == BLUE
    assert pixel_east_of_centre(image, 960, scale) == BLUE  # 1 px is 4.5 m at this scale
    assert pixel_east_of_centre(image, 1040, scale) != BLUE
    assert pixel_east_of_centre(image, 1500, scale) == (0xFB, 0xFB, 0xF8)  # the sheet's map background


def test_each_overlay_is_a_legend_entry_beside_the_layers(client, tmp_path):
    villages = {"title": "未覆盖户数（按村）：5–9 户", "color": "#666666", "fill": "#fdae6b", "opacity": 0.8,
                "features": [{"geometry": {"type": "Polygon", "coordinates": [[
                    [122.71, 40.81], [122.72, 40.81], [122.72, 40.82], [122.71, 40.82], [122.71, 40.81]]]}}]}
    towns = {"title": "境内无避难场所的乡镇", "color": "#6a1b9a", "dashed": True, "opacity": 0,
             "features": [{"geometry": {"type": "LineString", "coordinates": [[122.71, 40.83], [122.75, 40.83]]}}]}
    response = client.post("/api/print", json={"bbox": BBOX, "layers": ["shelters"], "title": "覆盖分析出图",
                                               "overlays": [radius(), villages, towns]})
    assert response.status_code == 200, response.text
    words = "".join(pdf_text(response.content, tmp_path).split())
    for entry in ("覆盖分析出图", "图例", "服务半径（容量足够）", "未覆盖户数（按村）：5–9户", "境内无避难场所的乡镇"):
        assert entry in words, entry


def test_bad_overlays_are_refused_in_chinese_naming_which(client):
    polygon = {"type": "Polygon", "coordinates": [[[122.71, 40.81], [122.72, 40.81], [122.72, 40.82],
                                                   [122.71, 40.81]]]}
    cases = [
        ([radius(color="blue")], "叠加图层第 1 个：颜色（color）应为 #rrggbb 形式"),
        ([radius(), {**radius(), "features": []}], "叠加图层第 2 个：要素（features）应为非空列表"),
        ([radius(metres=0)], "叠加图层第 1 个（服务半径（容量足够））的第 1 个要素：半径（radius_m）只用于点"),
        ([{**radius(), "features": [{"geometry": polygon, "radius_m": 50}]}],
         "的第 1 个要素：半径（radius_m）只用于点"),
        ([{**radius(), "features": [{"geometry": point(125.0, 40.8)}]}], "的第 1 个要素：坐标超出海城市范围"),
        ([{**radius(), "title": ""}], "叠加图层第 1 个：图例名称（title）"),
    ]
    for overlays, message in cases:
        response = client.post("/api/print", json={"bbox": BBOX, "overlays": overlays})
        assert response.status_code == 422 and message in response.json()["message"], (overlays, response.text)
