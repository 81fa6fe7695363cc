"""The security issue's corpus of broken files against the import endpoint: each refused with 422, a
Chinese message naming the fault, nothing of the server's files quoted, no network connection, nothing
stored (no import row, no feature)."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.utils.bad_files import LEAKS, corpus, listener, post

CHINESE = re.compile("[\u4e00-\u9fff]")
FORMATS = {"geojson": ".geojson", "kml": ".kml", "gpkg": ".gpkg", "shapefile": ".zip", "gpx": ".gpx",
           "csv": ".csv", "xlsx": ".xlsx"}


def test_every_broken_file_is_refused_and_stores_nothing(client, conn, tmp_path) -> None:
    checked, wrong = 0, []
    with listener() as net:
        for key, suffix in FORMATS.items():
            for case in corpus(key, suffix, tmp_path, net.port):
                response = post(client, "/api/layers/shelters/imports", case.filename, case.content)
                message = response.json().get("message", "") if response.status_code < 500 else ""
                checked += 1
                if response.status_code == 202:  # readable as a file: the dry run must then refuse every row
                    report = client.get(response.json()["url"]).json()["report"]
                    if report["ok"]:
                        wrong.append((key, case.label, "accepted", report["counts"]))
                    continue
                if (response.status_code != 422 or not CHINESE.search(message) or case.words not in message
                        or any(leak in response.text for leak in LEAKS)):
                    wrong.append((key, case.label, response.status_code, response.text[:300]))
    assert not wrong, "\n".join(map(str, wrong))
    assert net.connections == []
    assert checked >= 30
    assert conn.execute(text("SELECT count(*) FROM shelters")).scalar() == 0
    assert conn.execute(text("SELECT count(*) FROM imports WHERE status = 'committed'")).scalar() == 0
