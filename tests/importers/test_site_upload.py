"""Reading one site from an uploaded file: every format, CRS conversion, and the refusals."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, shape

from importers.site_upload import read_site
from layers.errors import InvalidInput

SQUARE = Polygon([(122.90, 40.70), (122.901, 40.70), (122.901, 40.701), (122.90, 40.701)])


def frame(*geoms, crs="EPSG:4490", names=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": names or [f"选址{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs)


def zipped_shapefile(folder: Path, data: gpd.GeoDataFrame, with_prj: bool = True, name: str = "site") -> Path:
    shp = folder / f"{name}.shp"
    data.to_file(shp, engine="pyogrio", encoding="utf-8")
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "a") as z:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            part = folder / f"{name}.{ext}"
            if part.exists() and (with_prj or ext != "prj"):
                z.write(part, f"{name}/{name}.{ext}")
    return archive


def test_geojson_polygon(tmp_path: Path) -> None:
    path = tmp_path / "site.geojson"
    frame(SQUARE).to_file(path, driver="GeoJSON", engine="pyogrio")
    site = read_site(path.read_bytes(), "选址.geojson")
    assert site.format == "GeoJSON" and site.name == "选址0"
    assert shape(site.geometry).equals_exact(SQUARE, 1e-9)
    assert json.loads(json.dumps(site.to_dict()))["geometry"]["type"] == "Polygon"


def test_zipped_shapefile_in_4550_comes_back_in_4490(tmp_path: Path) -> None:
    archive = zipped_shapefile(tmp_path, frame(SQUARE).to_crs("EPSG:4550"))
    site = read_site(archive.read_bytes(), "site.zip")
    assert site.format == "Shapefile" and site.source_crs == "EPSG:4550"
    got = shape(site.geometry)
    assert got.geom_type == "Polygon" and got.symmetric_difference(SQUARE).area < 1e-12
    assert 122.89 < got.bounds[0] < 122.91  # lon/lat, not metres


def test_shapefile_without_prj_is_refused(tmp_path: Path) -> None:
    archive = zipped_shapefile(tmp_path, frame(SQUARE).to_crs("EPSG:4550"), with_prj=False)
    with pytest.raises(InvalidInput) as caught:
        read_site(archive.read_bytes(), "site.zip")
    assert "没有坐标系信息" in caught.value.message


def test_gpkg_and_kml(tmp_path: Path) -> None:
    gpkg = tmp_path / "site.gpkg"
    frame(Point(122.75, 40.85)).to_crs("EPSG:4529").to_file(gpkg, layer="site", driver="GPKG", engine="pyogrio")
    site = read_site(gpkg.read_bytes(), "site.gpkg")
    assert site.source_crs == "EPSG:4529" and shape(site.geometry).distance(Point(122.75, 40.85)) < 1e-7
    kml = tmp_path / "site.kml"
    frame(SQUARE).to_file(kml, driver="KML", engine="pyogrio")
    site = read_site(kml.read_bytes(), "site.kml")
    assert site.format == "KML" and shape(site.geometry).symmetric_difference(SQUARE).area < 1e-12


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_gpkg_without_crs_is_refused(tmp_path: Path) -> None:
    gpkg = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[SQUARE]).to_file(gpkg, driver="GPKG", engine="pyogrio")
    with pytest.raises(InvalidInput, match="no CRS") as caught:
        read_site(gpkg.read_bytes(), "nocrs.gpkg")
    assert "没有坐标系" in caught.value.message


@pytest.mark.parametrize(("data", "words"), [
    (frame(SQUARE, Point(122.75, 40.85)), "含 2 个要素"),
    (frame(Polygon([(116.3, 39.9), (116.31, 39.9), (116.31, 39.91)])), "超出海城市范围"),
    (gpd.GeoDataFrame({"name": ["路"]}, geometry=[SQUARE.exterior], crs="EPSG:4490"), "应为点或面"),
])
def test_refusals_say_why(tmp_path: Path, data: gpd.GeoDataFrame, words: str) -> None:
    path = tmp_path / "bad.geojson"
    data.to_file(path, driver="GeoJSON", engine="pyogrio")
    with pytest.raises(InvalidInput) as caught:
        read_site(path.read_bytes(), "bad.geojson")
    assert words in caught.value.message


def test_swapped_coordinates_are_named(tmp_path: Path) -> None:
    path = tmp_path / "swapped.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {},
                                "geometry": {"type": "Point", "coordinates": [40.85, 122.75]}}))
    with pytest.raises(InvalidInput) as caught:
        read_site(path.read_bytes(), "swapped.geojson")
    assert "经纬度顺序颠倒" in caught.value.message


def test_damaged_and_unknown_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(InvalidInput, match="content is text, not GeoPackage") as caught:
        read_site(bad.read_bytes(), "x.gpkg")
    assert caught.value.message == "文件“x.gpkg”的内容不是 GeoPackage 格式（文件扩展名与内容不符），或文件已损坏"
    notzip = tmp_path / "x.zip"
    notzip.write_bytes(b"PK nothing")
    with pytest.raises(InvalidInput, match="content is text, not Shapefile"):
        read_site(notzip.read_bytes(), "x.zip")
    with pytest.raises(InvalidInput, match="unsupported"):
        read_site(bad.read_bytes(), "x.dwg")
    two = tmp_path / "two"
    two.mkdir()
    zipped_shapefile(two, frame(SQUARE), name="a")
    archive = zipped_shapefile(two, frame(SQUARE), name="b")  # appends b to a new zip: add a's files too
    with zipfile.ZipFile(archive, "a") as z:
        for ext in ("shp", "shx", "dbf", "prj"):
            z.write(two / f"a.{ext}", f"a.{ext}")
    with pytest.raises(InvalidInput) as caught:
        read_site(archive.read_bytes(), "b.zip")
    assert "2 个 Shapefile" in caught.value.message


def test_a_4550_file_without_crs_names_the_likely_crs(tmp_path: Path) -> None:
    """Issue 16: an EPSG:4550 file with no CRS said only "outside Haicheng", with metre numbers."""
    projected = frame(SQUARE).to_crs(4550)
    geojson = tmp_path / "site.geojson"  # GeoJSON without a crs member is lon/lat by definition
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                   "geometry": json.loads(projected.geometry.to_json())["features"][0]["geometry"]}]}))
    with pytest.raises(InvalidInput) as caught:
        read_site(geojson.read_bytes(), "选址.geojson")
    assert caught.value.message.startswith(
        "坐标超出海城市范围。这些坐标像是 EPSG:4550（CGCS2000 3 度带高斯-克吕格投影，"
        "中央经线 123°E，不带带号，单位米）")
    archive = zipped_shapefile(tmp_path, projected, with_prj=False)
    with pytest.raises(InvalidInput) as caught:
        read_site(archive.read_bytes(), "选址.zip")
    assert caught.value.message.startswith("文件“选址.zip”没有坐标系信息，无法确定位置。这些坐标像是 EPSG:4550")
    zone = projected.copy()
    zone.geometry = zone.geometry.translate(41_000_000)
    with pytest.raises(InvalidInput, match="no CRS") as caught:
        zone = zone.set_crs(None, allow_override=True)
        read_site(zipped_shapefile(tmp_path, zone, with_prj=False, name="z").read_bytes(), "带号.zip")
    assert "像是 EPSG:4529（CGCS2000 3 度带高斯-克吕格投影，第 41 带" in caught.value.message
