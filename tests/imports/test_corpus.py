"""Every file of the corpus gets its exact expected outcome; a refused file changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.imports.conftest import checked, problems, upload
from tests.imports.corpus import DATA

GOOD_HOUSEHOLDS = ["households.csv", "households_bom.csv", "households_gbk.csv", "households.xlsx"]
ENCODINGS = {"households.csv": "UTF-8", "households_bom.csv": "UTF-8（带 BOM）",
             "households_gbk.csv": "GBK/GB18030", "households.xlsx": None}


def _count(client: TestClient, layer: str) -> int:
    return client.get(f"/api/layers/{layer}/features").json()["numberMatched"]


@pytest.mark.parametrize("name", GOOD_HOUSEHOLDS)
def test_good_household_tables(client_as, corpus: dict[str, Path], places: None, name: str) -> None:
    worker = client_as("case_worker")
    body = checked(worker, "households", corpus[name])
    assert body["report"]["ok"], body["report"]
    assert body["report"]["encoding"] == ENCODINGS[name]
    assert body["report"]["counts"]["insert"] == 3
    assert worker.post(f"/api/layers/households/imports/{body['id']}/commit").status_code == 200
    listed = worker.get("/api/layers/households/features").json()["features"]
    heads = sorted(f["properties"]["head_name"] for f in listed)
    assert heads == ["张*", "李*", "王*"]  # no mojibake: the first character is stored as written


@pytest.mark.parametrize("name", ["shelters.geojson", "shelters.gpkg", "shelters_shp.zip",
                                  "shelters_gbk_nocpg.zip"])
def test_good_shelter_files(client, corpus, places, name: str) -> None:
    body = checked(client, "shelters", corpus[name])
    assert body["report"]["ok"], body["report"]
    assert body["report"]["counts"]["insert"] == 2
    assert client.post(f"/api/layers/shelters/imports/{body['id']}/commit").status_code == 200
    rows = client.get("/api/layers/shelters/features", params={"sort": "name"}).json()["features"]
    assert [(f["properties"]["name"], f["properties"]["shelter_type"], f["properties"]["capacity"])
            for f in rows] == [("东关小学操场", "emergency", 800), ("海城体育场", "fixed", 5000)]
    assert [f["geometry"]["coordinates"] for f in rows] == [[122.711, 40.861], [122.721, 40.871]]
    again = checked(client, "shelters", corpus[name])
    assert again["report"]["counts"]["unchanged"] == 2


def test_dbf_without_cpg_is_read_as_gbk(client, corpus, places) -> None:
    report = checked(client, "shelters", corpus["shelters_gbk_nocpg.zip"])["report"]
    assert report["encoding"] == "GBK/GB18030（无 .cpg，按内容判断）"
    assert report["columns"] == {"名称": "name", "类型": "shelter_type", "人数": "capacity"}


@pytest.mark.parametrize("name", ["shelters.gpx", "shelters.kml"])
def test_gpx_and_kml_name_and_description(client, corpus, places, name: str) -> None:
    """GPX waypoints and KML placemarks have a name and a description: the type is missing until the
    description is mapped to it (a saved mapping)."""
    body = checked(client, "shelters", corpus[name])
    description = {"shelters.gpx": "desc", "shelters.kml": "Description"}[name]
    assert description in body["report"]["unknown_columns"]
    assert problems(body) == [(1, "场所类型", "场所类型（shelter_type）为必填项"),
                              (2, "场所类型", "场所类型（shelter_type）为必填项")]
    saved = client.put(f"/api/layers/shelters/import-mappings/{name}", json={description: "shelter_type"})
    assert saved.status_code == 200, saved.text
    mapped = checked(client, "shelters", corpus[name], mapping_name=name)
    assert mapped["report"]["ok"], mapped["report"]
    assert client.post(f"/api/layers/shelters/imports/{mapped['id']}/commit").json()["result"]["insert"] == 2
    rows = client.get("/api/layers/shelters/features", params={"sort": "name"}).json()["features"]
    assert [(f["properties"]["name"], f["properties"]["shelter_type"]) for f in rows] == [
        ("东关小学操场", "emergency"), ("海城体育场", "fixed")]


def test_shapefile_without_prj_needs_a_crs_choice(client, corpus, places) -> None:
    body = checked(client, "shelters", corpus["shelters_noprj.zip"])
    assert body["report"]["file_problems"] == [
        "文件没有坐标系信息，坐标不是经纬度：请选择坐标系（EPSG:4550 或 EPSG:4529）后重新检查"]
    chosen = checked(client, "shelters", corpus["shelters_noprj.zip"], crs="EPSG:4550")
    assert chosen["report"]["ok"] and chosen["report"]["crs"] == "EPSG:4550"
    client.post(f"/api/layers/shelters/imports/{chosen['id']}/commit")
    coords = [f["geometry"]["coordinates"] for f in
              client.get("/api/layers/shelters/features", params={"sort": "name"}).json()["features"]]
    assert [[round(c, 7) for c in xy] for xy in coords] == [[122.711, 40.861], [122.721, 40.871]]


def test_zone_prefix_4529(client_as, corpus, places) -> None:
    worker = client_as("case_worker")
    wrong = checked(worker, "households", corpus["households_4529.csv"], crs="EPSG:4550")
    assert problems(wrong)[0][:2] == (2, "几何")
    assert problems(wrong)[0][2].endswith("带有带号 41：请选择 EPSG:4529（3 度带第 41 带，带号）")
    right = checked(worker, "households", corpus["households_4529.csv"], crs="EPSG:4529")
    assert right["report"]["ok"], right["report"]
    assert right["report"]["columns"]["东坐标"] == "_lon" and right["report"]["columns"]["北坐标"] == "_lat"


def test_swapped_lat_lon_named_per_row(client_as, corpus, places) -> None:
    body = checked(client_as("case_worker"), "households", corpus["households_swapped.csv"])
    assert problems(body) == [
        (2, "几何", "经纬度顺序颠倒：[40.851, 122.701] 应写作 [122.701, 40.851]（GeoJSON 为先经度后纬度）"),
        (3, "几何", "经纬度顺序颠倒：[40.852, 122.702] 应写作 [122.702, 40.852]（GeoJSON 为先经度后纬度）"),
        (4, "几何", "经纬度顺序颠倒：[40.853, 122.703] 应写作 [122.703, 40.853]（GeoJSON 为先经度后纬度）")]


def test_gcj02_on_request(client_as, corpus, places) -> None:
    worker = client_as("case_worker")
    body = checked(worker, "households", corpus["households_gcj02.csv"], crs="gcj02")
    assert body["report"]["ok"] and body["report"]["crs"] == "gcj02"
    worker.post(f"/api/layers/households/imports/{body['id']}/commit")
    listed = worker.get("/api/layers/households/features").json()["features"]
    coords = sorted([round(c, 6) for c in f["geometry"]["coordinates"]] for f in listed)
    assert coords == [[122.701, 40.851], [122.702, 40.852], [122.703, 40.853]]


def test_duplicate_keys_in_one_file(client_as, corpus, places) -> None:
    body = checked(client_as("case_worker"), "households", corpus["households_duplicate.csv"])
    assert problems(body) == [(5, "身份证号码", "身份证号码与第 2 行相同：同一文件中不能重复")]
    response = client_as("case_worker").post(f"/api/layers/households/imports/{body['id']}/commit")
    assert response.status_code == 422
    assert response.json()["message"] == "检查报告中还有问题：请修正文件后重新上传，全部通过才能导入"


def test_self_intersecting_polygon(client, corpus, places) -> None:
    body = checked(client, "cemeteries", corpus["cemetery_bowtie.geojson"])
    assert problems(body) == [(1, "几何", "几何无效：自相交，位置 122.71, 40.81")]


def test_formulas_in_xlsx_cells(client_as, corpus, places) -> None:
    body = checked(client_as("case_worker"), "households", corpus["households_formula.xlsx"])
    assert problems(body) == [(3, "家庭人口", "单元格是公式，不导入公式：请复制后“粘贴为数值”再导入")]


@pytest.mark.parametrize(("name", "message"), [
    ("empty.csv", "文件“empty.csv”是空文件"),
    ("truncated.zip", "“truncated.zip”不是有效的 zip 压缩包，或文件已损坏"),
])
def test_refused_files_change_nothing(client, corpus, places, name: str, message: str) -> None:
    response = upload(client, "shelters", corpus[name])
    assert response.status_code == 422
    assert response.json()["message"] == message
    assert _count(client, "shelters") == 0


def test_header_only_file(client_as, corpus, places) -> None:
    body = checked(client_as("case_worker"), "households", corpus["header_only.csv"])
    assert body["report"]["file_problems"] == ["文件中没有数据行"]


def test_over_the_size_limit(client, settings, corpus, places, tmp_path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * (settings.upload_max_bytes + 1))
    response = upload(client, "shelters", big)
    assert response.status_code == 422
    assert response.json()["message"] == "文件“big.csv”过大：上限 50 MB"


def test_corpus_text_files_are_those_the_script_makes(corpus) -> None:
    """tests/data/import holds the text files of the corpus (binary ones are made by the script)."""
    kept = sorted(p.name for p in DATA.iterdir())
    assert kept == sorted(name for name in corpus if name.endswith((".csv", ".geojson", ".kml", ".gpx")))
    for name in kept:
        assert (DATA / name).read_bytes() == corpus[name].read_bytes(), name


def test_over_the_row_limit(client_as, settings, corpus, places) -> None:
    settings.import_max_rows = 2  # the app reads its settings object at each request
    response = upload(client_as("case_worker"), "households", corpus["households.csv"])
    assert response.status_code == 422
    assert response.json()["message"] == "文件“households.csv”超过 2 行（要素），超出单次导入上限 2：请分批导入"
