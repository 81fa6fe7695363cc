"""The built-in offline basemap (issue 16 item 2): PNG tiles drawn from the service's own layers."""

from __future__ import annotations

import io
import math

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, text

from formats.tile_image import EMPTY_TILE
from layers.basemap import LAND, PLACE_TEXT, ROAD_TEXT, ROADS, SOURCE_TABLES, TOWNSHIP_TEXT
from layers.catalog import registry
from layers.roles import VIEWER
from tests.utils.features import create, line, point, square

ROAD_LAT = 40.88


def pixel(lon: float, lat: float, z: int) -> tuple[int, int, int, int]:
    """(tile x, tile y, pixel x, pixel y) of a place at zoom ``z``."""
    n = 256 * (1 << z)
    gx = (lon + 180.0) / 360.0 * n
    gy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int(gx // 256), int(gy // 256), int(gx % 256), int(gy % 256)


def tile(client: TestClient, z: int, x: int, y: int) -> Image.Image:
    response = client.get(f"/basemap/{z}/{x}/{y}.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGBA")


def rgba(color: str) -> tuple[int, int, int, int]:
    return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 255)


def count(image: Image.Image, color: str, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` within 40 of ``color`` on every channel (text is anti-aliased: thin strokes blend)."""
    want = rgba(color)
    crop = image.crop(box)
    return sum(1 for p in crop.get_flattened_data() if all(abs(a - b) <= 40 for a, b in zip(p, want, strict=True)))


def county(client: TestClient, conn: Connection) -> None:
    create(client, "townships", square(122.60, 40.80, 0.2), code="210381001", name="示例镇", kind="town")
    create(client, "roads", line((122.62, ROAD_LAT), (122.78, ROAD_LAT)), name="沈大高速", road_class="expressway")
    approved = create(client, "place_names", point(122.70, 40.85), name="王家屯", class_code="06100")
    create(client, "place_names", point(122.70, 40.83), name="李家屯", class_code="06100")  # stays proposed
    conn.execute(text("UPDATE place_names SET status = 'approved' WHERE id = :id"), {"id": approved["id"]})


def test_a_road_and_land_at_z16_and_z9(client: TestClient, conn: Connection) -> None:
    county(client, conn)
    z, x, y, px, py = 16, *pixel(122.65, ROAD_LAT, 16)
    image = tile(client, z, x, y)
    assert image.getpixel((px, py)) == rgba(ROADS["expressway"].color)  # 13 px wide at z16
    assert image.getpixel((px, py + 7)) == rgba(ROADS["expressway"].casing)
    assert image.getpixel((px, (py + 60) % 256)) == rgba(LAND)  # inside the township, off the road
    # its name in every tile it crosses, where the road passes nearest the tile's centre (here x = 128)
    assert px - 128 > 40 and count(image, ROAD_TEXT, (88, py - 10, 168, py + 10)) >= 10
    x9, y9, px9, py9 = pixel(122.70, ROAD_LAT, 9)
    image = tile(client, 9, x9, y9)
    assert image.getpixel((px9, py9)) == rgba(ROADS["expressway"].color)  # 3 px wide at z9
    # the township's name at z9, in its colour, around its point on surface
    tx, ty, tpx, tpy = pixel(122.70, 40.90, 9)
    assert (tx, ty) == (x9, y9)
    assert count(image, TOWNSHIP_TEXT, (tpx - 30, tpy - 12, tpx + 30, tpy + 12)) >= 10


def test_settlement_labels_by_zoom_and_only_approved_names(client: TestClient, conn: Connection) -> None:
    county(client, conn)
    x, y, px, py = pixel(122.70, 40.85, 16)
    near = (px - 40, py - 12, px + 40, py + 12)
    assert count(tile(client, 16, x, y), PLACE_TEXT, near) >= 10  # 王家屯 written at z16
    x13, y13, px13, py13 = pixel(122.70, 40.85, 13)
    assert count(tile(client, 13, x13, y13), PLACE_TEXT, (px13 - 40, py13 - 12, px13 + 40, py13 + 12)) == 0
    x, y, px, py = pixel(122.70, 40.83, 16)  # 李家屯 is only proposed: not on the map
    assert count(tile(client, 16, x, y), PLACE_TEXT, (px - 40, py - 12, px + 40, py + 12)) == 0


def test_outside_the_data_the_tile_is_empty(client: TestClient, conn: Connection) -> None:
    county(client, conn)
    response = client.get("/basemap/12/{}/{}.png".format(*pixel(100.0, 30.0, 12)[:2]))
    assert response.status_code == 200 and response.content == EMPTY_TILE
    assert Image.open(io.BytesIO(response.content)).convert("RGBA").getextrema()[3] == (0, 0)


def test_cached_by_data_version_and_fresh_after_an_edit(client: TestClient, conn: Connection) -> None:
    county(client, conn)
    x, y, px, py = pixel(122.70, 40.86, 16)
    first = client.get(f"/basemap/16/{x}/{y}.png")
    again = client.get(f"/basemap/16/{x}/{y}.png", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    create(client, "roads", line((122.69, 40.86), (122.71, 40.86)), road_class="county")
    image = tile(client, 16, x, y)
    assert image.getpixel((px, py)) == rgba(ROADS["county"].color)


def test_refusals_and_who_may_read(client: TestClient, client_as) -> None:
    response = client.get("/basemap/23/0/0.png")
    assert response.status_code == 422 and response.json()["message"] == "缩放级别 z=23 超出范围（0–22）"
    response = client.get("/basemap/3/8/0.png")
    assert response.status_code == 422 and response.json()["message"] == "切片行列号 x=8 超出范围（第 3 级为 0–7）"
    assert client_as("viewer").get("/basemap/9/0/0.png").status_code == 200
    # only layers everyone reads, none holding personal data
    specs = {spec.table.name: spec for spec in registry()}
    for table in SOURCE_TABLES:
        assert specs[table].can_read(frozenset({VIEWER}))
        assert not any(f.personal for f in specs[table].fields)


def test_no_tile_without_signing_in(anonymous: TestClient) -> None:
    assert anonymous.get("/basemap/9/0/0.png").status_code == 401
