"""Gazetteer publications as PDF: 地名录 by township and class in pinyin order, 地名词典 entries, 公告."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from formats.documents import to_pdf
from layers.gazetteer import lifecycle, publication
from layers.gazetteer.names import add_variant
from tests.utils.documents import pdf_text, render_first_page
from tests.utils.gazetteer import A_XY, B_XY, add_place, make_area

APPROVED = {"approval_authority": "海城市人民政府", "approval_doc_no": "海政地〔2025〕3号",
            "approval_date": "2025-04-01"}


def compact(pdf: bytes, tmp_path, name: str) -> str:
    return re.sub(r"\s+", "", pdf_text(pdf, tmp_path, name))


@pytest.fixture
def names(conn):
    make_area(conn)
    ids = {
        "王家屯": add_place(conn, "王家屯", "06100", A_XY, meaning="王姓先居", history="清光绪年间成村"),
        "李家屯": add_place(conn, "李家屯", "06100", A_XY, meaning="李姓建村"),
        "安乐屯": add_place(conn, "安乐屯", "06100", A_XY, meaning="取安居乐业之意",
                          description="位于海州街道西部，海城河北岸", **APPROVED),
        "幸福路": add_place(conn, "幸福路", "07100", A_XY, meaning="寓意幸福"),
        "牛庄村": add_place(conn, "牛庄村", "04100", B_XY, meaning="因牛庄古镇得名", history="明代为牛庄驿" * 300),
    }
    add_variant(conn, ids["王家屯"], "老王屯", "historical", start_date=date(1900, 1, 1), end_date=date(1950, 1, 1))
    conn.execute(text("UPDATE place_names SET code = '21038100106100000001' WHERE id = :id"), {"id": ids["安乐屯"]})
    return ids


def test_directory_pdf_by_township_class_and_pinyin(conn, names, tmp_path):
    rows = publication.directory_rows(conn)
    pdf = to_pdf(publication.directory_document(rows, as_of=date(2025, 6, 1)))
    body = compact(pdf, tmp_path, "directory")
    assert body.startswith("海城市地名录") and "全市·共5条·截至2025-06-01·经纬度为CGCS2000" in body
    assert body.index("海州街道（210381001）") < body.index("牛庄镇（210381101）")
    # pinyin order inside a class: Anle Tun, Lijia Tun, Wangjia Tun
    assert body.index("安乐屯") < body.index("李家屯") < body.index("王家屯") < body.index("幸福路")
    assert "居民点·自然村（06100）·3条" in body and "21038100106100000001" in body
    assert "因牛庄古镇得名" in body and "明代为牛庄驿" not in body  # the history belongs to the dictionary
    render_first_page(pdf, tmp_path, "directory")
    filtered = publication.directory_rows(conn, "210381101")
    body = compact(to_pdf(publication.directory_document(filtered, "210381101")), tmp_path, "directory_b")
    assert "牛庄镇·共1条" in body and "王家屯" not in body


class _UtcEvening(datetime):
    """2025-03-31 17:00 UTC, when it is already 01:00 on 2025-04-01 in Beijing (a fixed day, far from the
    real one, so that a server clock read anywhere shows)."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        moment = datetime(2025, 3, 31, 17, 0, tzinfo=UTC)
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


def test_directory_pdf_is_dated_in_beijing(conn, names, tmp_path, monkeypatch):
    """Issue 16: the directory printed at 01:00 Beijing time carries Beijing's date, not the UTC server's."""
    monkeypatch.setattr(lifecycle, "datetime", _UtcEvening)
    body = compact(to_pdf(publication.directory_document(publication.directory_rows(conn))), tmp_path, "dated")
    assert "截至2025-04-01·" in body and "2025-03-31" not in body


def test_dictionary_entries(conn, names, tmp_path):
    rows = publication.directory_rows(conn)
    variants = publication.variants_by_place(conn, [r["id"] for r in rows])
    pdf = to_pdf(publication.dictionary_document(rows, variants))
    body = compact(pdf, tmp_path, "dictionary")
    assert body.startswith("海城市地名词典")
    for expected in ("王家屯", "Wángjiātún", "Ānlètún", "居民点·自然村", "王姓先居", "清光绪年间成村",
                     "老王屯（历史名称，1900–1950）", "位于辽宁省鞍山市海城市海州街道", "海州社区", "海城河北岸",
                     "海城市人民政府，2025-04-01，海政地〔2025〕3号"):
        assert expected in body, expected
    # by major class (群众自治组织 04 before 居民点 06 before 交通运输设施 07), then pinyin
    assert body.index("牛庄村") < body.index("安乐屯") < body.index("王家屯") < body.index("幸福路")
    assert body.count("明代为牛庄驿") == 300  # a very long history flows over pages, nothing is cut
    render_first_page(pdf, tmp_path, "dictionary")


def test_announcement_pdf(conn, names, tmp_path):
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    rows = publication.announcement_rows(conn, start, end)
    assert [r["name"] for r in rows] == ["安乐屯"]
    pdf = to_pdf(publication.announcement_document(rows, start, end))
    body = compact(pdf, tmp_path, "announcement")
    assert body.startswith("海城市人民政府地名公告") and "根据《地名管理条例》第十四条" in body
    assert "特此公告" in body and "附表：经批准的地名" in body and "海政地〔2025〕3号" in body
    render_first_page(pdf, tmp_path, "announcement")
    empty = compact(to_pdf(publication.announcement_document([], start, end)), tmp_path, "empty")
    assert "期间无经批准的地名命名、更名事项" in empty


def test_pdf_endpoints(client, conn, names, tmp_path):
    directory = client.get("/api/place-names/directory", params={"format": "pdf", "class_code": "06"})
    assert directory.status_code == 200 and directory.headers["content-type"] == "application/pdf"
    body = compact(directory.content, tmp_path, "api_directory")
    assert "居民点·共3条" in body and "幸福路" not in body
    dictionary = client.get("/api/place-names/dictionary.pdf", params={"township_code": "210381101"})
    assert dictionary.status_code == 200, dictionary.text
    body = compact(dictionary.content, tmp_path, "api_dictionary")
    assert "牛庄村" in body and "王家屯" not in body
    announcement = client.get("/api/place-names/announcement",
                              params={"start": "2025-01-01", "end": "2025-12-31", "format": "pdf"})
    assert announcement.status_code == 200 and "安乐屯" in compact(announcement.content, tmp_path, "api_ann")
    assert client.get("/api/place-names/directory", params={"format": "doc"}).status_code == 422
