"""The import corpus: real-shaped files, good and bad, for ``tests/data/import/``.

Text files are kept in the repository; binary ones (XLSX, Shapefile zips, GeoPackage) are made by
:func:`build` into a folder (the tests' ``corpus`` fixture), from the same rows, so every file has one
exact expected outcome. Run ``python -m tests.imports.corpus DIR`` to write them all to ``DIR``.

The places: township 210381100 “测试镇” and village 210381100201 “东关村” (the tests create them),
inside Haicheng; coordinates in CGCS2000 around 122.70°E 40.85°N.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import shapely

from layers.geometry import reproject, wgs84_to_gcj02
from layers.privacy import id_check_character

TOWNSHIP = ("210381100", "测试镇")
VILLAGE = ("210381100201", "东关村")
DATA = Path(__file__).resolve().parents[1] / "data" / "import"


def id_number(serial: int) -> str:
    first17 = f"210381198001{serial % 28 + 1:02d}{serial % 1000:03d}"
    return first17 + id_check_character(first17)


# (户主姓名, 身份证号码, 类别, 人口, 村, lon, lat)
HOUSEHOLDS = [
    ("张三", id_number(1), "低保", 3, "东关村", 122.701, 40.851),
    ("李四", id_number(2), "特困（分散供养）、残疾", 1, "东关村", 122.702, 40.852),
    ("王五", id_number(3), "低保边缘家庭", 4, VILLAGE[0], 122.703, 40.853),
]
HOUSEHOLD_HEADER = ["户主姓名", "身份证号码", "救助类别", "家庭人口", "所在村", "经度", "纬度"]

# shelters: (名称, 场所类型, 容纳人数, lon, lat)
SHELTERS = [("东关小学操场", "紧急避难场所", 800, 122.711, 40.861),
            ("海城体育场", "固定避难场所", 5000, 122.721, 40.871)]
SHELTER_HEADER = ["名称", "场所类型", "容纳人数", "经度", "纬度"]


def csv_text(header: list[str], rows: list[tuple]) -> str:
    return "\n".join(",".join(str(v) for v in row) for row in [header, *rows]) + "\n"


def xlsx_bytes(header: list[str], rows: list[tuple], *, text_columns: tuple[int, ...] = (1,)) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    for column in text_columns:  # ID numbers as text, as a careful clerk types them
        for cells in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cells[0].number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def geojson_bytes(rows: list[tuple], header: list[str]) -> bytes:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r[-2], r[-1]]},
                 "properties": dict(zip(header[:-2], r[:-2], strict=True))} for r in rows]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def shapefile_zip(frame_rows: list[dict], geoms: list, crs: str | None, *, encoding: str = "UTF-8",
                  cpg: bool = True, prj: bool = True) -> bytes:
    import geopandas as gpd
    import pyogrio

    folder = Path(__import__("tempfile").mkdtemp())
    frame = gpd.GeoDataFrame(frame_rows, geometry=geoms, crs=crs)
    path = folder / "data.shp"
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not cpg:  # as old desktop tools write it: no .cpg, and no code page byte in the .dbf header
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = 0
        dbf.write_bytes(bytes(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for part in sorted(folder.iterdir()):
            if (part.suffix == ".cpg" and not cpg) or (part.suffix == ".prj" and not prj):
                continue
            archive.write(part, part.name)
    return out.getvalue()


def gpkg_bytes(frame_rows: list[dict], geoms: list, crs: str) -> bytes:
    import tempfile

    import geopandas as gpd

    path = Path(tempfile.mkdtemp()) / "data.gpkg"
    gpd.GeoDataFrame(frame_rows, geometry=geoms, crs=crs).to_file(path, driver="GPKG")
    return path.read_bytes()


def _shelter_dicts() -> list[dict]:
    """As a .dbf holds them: field names of at most 10 bytes (名称, 类型, 人数)."""
    return [{"名称": r[0], "类型": r[1], "人数": r[2]} for r in SHELTERS]


def _shelter_points() -> list:
    return [shapely.Point(r[3], r[4]) for r in SHELTERS]


def build(folder: Path) -> dict[str, Path]:
    """Every file of the corpus in ``folder`` (binary ones made here); name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    files["households.csv"] = csv_text(HOUSEHOLD_HEADER, HOUSEHOLDS).encode("utf-8")
    files["households_bom.csv"] = b"\xef\xbb\xbf" + files["households.csv"]
    files["households_gbk.csv"] = csv_text(HOUSEHOLD_HEADER, HOUSEHOLDS).encode("gbk")
    files["households.xlsx"] = xlsx_bytes(HOUSEHOLD_HEADER, HOUSEHOLDS)
    files["households_swapped.csv"] = csv_text(HOUSEHOLD_HEADER, [(*r[:5], r[6], r[5]) for r in HOUSEHOLDS]).encode()
    dup = [*HOUSEHOLDS, ("赵六", HOUSEHOLDS[0][1], "低保", 2, "东关村", 122.704, 40.854)]
    files["households_duplicate.csv"] = csv_text(HOUSEHOLD_HEADER, dup).encode()
    gcj = [(*r[:5], *(round(v, 7) for v in wgs84_to_gcj02(r[5], r[6]))) for r in HOUSEHOLDS]
    files["households_gcj02.csv"] = csv_text(HOUSEHOLD_HEADER, gcj).encode()
    prefixed = []
    for r in HOUSEHOLDS:
        p = reproject(shapely.Point(r[5], r[6]), "EPSG:4490", "EPSG:4529")
        prefixed.append((*r[:5], round(p.x, 3), round(p.y, 3)))
    files["households_4529.csv"] = csv_text([*HOUSEHOLD_HEADER[:5], "东坐标", "北坐标"], prefixed).encode()
    formula = xlsx_bytes(HOUSEHOLD_HEADER, HOUSEHOLDS)
    files["households_formula.xlsx"] = _with_formula(formula)
    files["empty.csv"] = b""
    files["header_only.csv"] = (",".join(HOUSEHOLD_HEADER) + "\n").encode()
    files["shelters.geojson"] = geojson_bytes(SHELTERS, SHELTER_HEADER)
    files["shelters.kml"] = _kml()
    files["shelters.gpx"] = _gpx()
    files["shelters.gpkg"] = gpkg_bytes(_shelter_dicts(), _shelter_points(), "EPSG:4490")
    files["shelters_shp.zip"] = shapefile_zip(_shelter_dicts(), _shelter_points(), "EPSG:4490")
    files["shelters_gbk_nocpg.zip"] = shapefile_zip(_shelter_dicts(), _shelter_points(), "EPSG:4490",
                                                    encoding="GBK", cpg=False)
    metric = [reproject(p, "EPSG:4490", "EPSG:4550") for p in _shelter_points()]
    files["shelters_noprj.zip"] = shapefile_zip(_shelter_dicts(), metric, None, prj=False)
    files["truncated.zip"] = files["shelters_shp.zip"][: len(files["shelters_shp.zip"]) // 2]
    ring = [(122.70, 40.80), (122.72, 40.82), (122.72, 40.80), (122.70, 40.82), (122.70, 40.80)]
    files["cemetery_bowtie.geojson"] = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"名称": "蝴蝶公墓", "公墓类型": "village_public", "状态": "existing"},
        "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in ring]]}}]}, ensure_ascii=False).encode()
    out = {}
    for name, content in files.items():
        (folder / name).write_bytes(content)
        out[name] = folder / name
    return out


def _with_formula(xlsx: bytes) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx))
    book.active["D3"] = "=1+1"  # 家庭人口 of the second data row
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _kml() -> bytes:
    placemarks = "".join(f"<Placemark><name>{n}</name><description>{t}</description>"
                         f"<Point><coordinates>{x},{y}</coordinates></Point></Placemark>"
                         for n, t, _c, x, y in SHELTERS)
    return (f'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"{placemarks}</Document></kml>").encode()


def _gpx() -> bytes:
    points = "".join(f'<wpt lat="{y}" lon="{x}"><name>{n}</name><desc>{t}</desc></wpt>' for n, t, _c, x, y in SHELTERS)
    return (f'<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
            f'xmlns="http://www.topografix.com/GPX/1/1">{points}</gpx>').encode()


if __name__ == "__main__":
    for name, path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA).items():
        print(name, path.stat().st_size)
