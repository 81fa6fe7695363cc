"""Every broken file is refused with 422 and a Chinese message that says what is wrong — never a 500
— at each of the three upload endpoints, used by the role that may use it; and imports are bounded
in rows (the 100,000-row preview that took 18.5 s) and in size."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from gis_server.settings import Settings
from tests.utils.bad_files import ENDPOINTS, LEAKS, campaign, corpus, listener, post, xlsx, zip_of
from tests.utils.gazetteer import make_area

CHINESE = re.compile("[\u4e00-\u9fff]")


@pytest.fixture
def settings(database_url, tmp_path):
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path / "data", _env_file=None)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_broken_file_is_422_with_a_chinese_message(client_as, endpoint, tmp_path):
    client = client_as(endpoint.role)
    url = endpoint.url(campaign(client) if endpoint.name == "results" else None)
    checked, wrong = 0, []
    with listener() as net:
        for key, suffix in endpoint.accepted.items():
            for case in corpus(key, suffix, tmp_path, net.port):
                response = post(client, url, case.filename, case.content)
                message = response.json().get("message", "") if response.status_code < 500 else ""
                checked += 1
                if (response.status_code != 422 or not CHINESE.search(message) or case.words not in message
                        or any(leak in response.text for leak in LEAKS)):
                    wrong.append((key, case.label, response.status_code, response.text[:300]))
    assert not wrong, "\n".join(map(str, wrong))
    assert net.connections == []
    assert checked >= 20


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_undeclared_formats_are_refused_by_name(client_as, endpoint):
    client = client_as(endpoint.role)
    url = endpoint.url(1)
    for filename in ("site.vrt", "data.exe", "noextension", "x.geojson.vrt"):
        response = post(client, url, filename, b"<OGRVRTDataSource/>")
        assert response.status_code == 422
        assert response.json()["message"].startswith("不支持的文件类型")


def rows_csv(n: int, poison_at: int | None = None) -> bytes:
    lines = ["标准名称,类别,东经,北纬"]
    for i in range(1, n + 1):
        huge = i == poison_at
        lines.append(f"王家屯{i},自然村,122.72,40.86" if not huge else "王家屯,自然村," + "x" * 200_000 + ",40.86")
    return ("\n".join(lines) + "\n").encode()


def test_a_100000_row_csv_preview_is_refused_at_the_row_limit(client_as):
    editor = client_as("place_names_editor")
    # row 30,000 has a field the csv module cannot read: reached only if reading went past the limit
    response = post(editor, "/api/place-names/import", "普查.csv", rows_csv(100_000, poison_at=30_000))
    assert response.status_code == 422
    assert response.json()["message"] == "文件“普查.csv”超过 20000 行（要素），超出单次导入上限 20000：请分批导入"


def test_a_100000_row_xlsx_preview_is_refused_at_the_row_limit(client_as):
    editor = client_as("place_names_editor")
    rows = [["标准名称", "类别", "东经", "北纬"]] + [[f"王家屯{i}", "自然村", 122.72, 40.86] for i in range(100_000)]
    rows[20_010][1] = "x" * 40_000  # a cell over the limit after the row limit: never read
    response = post(editor, "/api/place-names/import", "普查.xlsx", xlsx(rows))
    assert response.status_code == 422
    assert response.json()["message"] == "文件“普查.xlsx”超过 20000 行（要素），超出单次导入上限 20000：请分批导入"


def test_the_row_limit_is_a_setting_and_rows_up_to_it_are_previewed(client_as, settings):
    settings.import_max_rows = 3
    editor = client_as("place_names_editor")
    assert post(editor, "/api/place-names/import", "a.csv", rows_csv(3)).json()["rows"] == 3
    response = post(editor, "/api/place-names/import", "a.csv", rows_csv(4))
    assert response.status_code == 422 and "超过 3 行" in response.json()["message"]


def test_the_size_limit_is_a_setting_and_zip_bombs_are_refused_unpacked(client_as, settings):
    settings.upload_max_bytes = 100_000
    editor = client_as("place_names_editor")
    response = post(editor, "/api/place-names/import", "big.csv", rows_csv(5000))
    assert response.status_code == 422
    assert response.json()["message"] == "文件“big.csv”过大：上限 98 KB"
    bomb = zip_of({"[Content_Types].xml": b"x", "xl/workbook.xml": b"x", "xl/worksheets/sheet1.xml": b"0" * 5_000_000})
    assert len(bomb) < 100_000
    response = post(editor, "/api/place-names/import", "bomb.xlsx", bomb)
    assert response.status_code == 422
    assert response.json()["message"] == "压缩包“bomb.xlsx”解压后过大（4.8 MB，上限 977 KB）"


def test_an_import_stops_checking_rows_at_the_time_limit_and_changes_nothing(client_as, settings, monkeypatch,
                                                                               conn):
    import importers.place_names

    make_area(conn)
    villages = "标准名称,类别,东经,北纬\n" + "".join(f"{c}家屯,自然村,{122.62 + i * 0.01:.2f},40.86\n"
                                                  for i, c in enumerate("甲乙丙丁戊己庚辛壬癸"))
    clock = iter(range(1000))  # one second per look at the clock
    monkeypatch.setattr(importers.place_names, "clock", lambda: next(clock))
    settings.import_max_seconds = 3
    editor = client_as("place_names_editor")
    for commit in ("false", "true"):
        response = editor.post("/api/place-names/import", params={"commit": commit},
                               files={"file": ("a.csv", villages.encode(), "text/csv")})
        assert response.status_code == 422
        assert response.json()["message"] == "文件共 10 行，3 秒内只检查完 3 行：请分批导入，每批不超过 3 行"
        clock = iter(range(1000))
    assert conn.execute(text("SELECT count(*) FROM place_names")).scalar_one() == 0
    settings.import_max_seconds = 1000
    response = editor.post("/api/place-names/import", params={"commit": "true"},
                           files={"file": ("a.csv", villages.encode(), "text/csv")})
    assert response.status_code == 200 and response.json()["summary"]["insert"] == 10
    assert conn.execute(text("SELECT count(*) FROM place_names")).scalar_one() == 10
