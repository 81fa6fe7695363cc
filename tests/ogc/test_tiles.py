"""OGC API – Tiles: the WebMercatorQuad document and the same tiles as /tiles, addressed {z}/{row}/{col}."""

from __future__ import annotations

import mapbox_vector_tile

from tests.utils.features import shelter


def test_tile_matrix_set_document(anonymous):
    tms = anonymous.get("/ogc/tileMatrixSets/WebMercatorQuad").json()
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857" and len(tms["tileMatrices"]) == 23
    z0, z10 = tms["tileMatrices"][0], tms["tileMatrices"][10]
    assert round(z0["scaleDenominator"], 3) == 559082264.029  # OGC 17-083r4 Table D.1
    assert (round(z10["cellSize"], 6), z10["matrixWidth"]) == (152.874057, 1024)
    assert z0["pointOfOrigin"] == [-20037508.3427892, 20037508.3427892]


def test_ogc_tile_is_the_service_tile(client):
    shelter(client, name="切片测试")
    # 122.69E 40.88N at z=12: column 3443, row 1537 (XYZ rows, top-down = tileRow)
    ogc = client.get("/ogc/collections/shelters/tiles/WebMercatorQuad/12/1537/3443")
    plain = client.get("/tiles/shelters/12/3443/1537.pbf")
    assert ogc.status_code == 200 and ogc.content == plain.content
    decoded = mapbox_vector_tile.decode(ogc.content)
    assert [f["properties"]["name"] for f in decoded["shelters"]["features"]] == ["切片测试"]
    tilesets = client.get("/ogc/collections/shelters/tiles").json()["tilesets"]
    template = next(link for link in tilesets[0]["links"] if link["rel"] == "item")["href"]
    assert template.endswith("/ogc/collections/shelters/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    assert client.get("/ogc/collections/shelters/tiles/WebMercatorQuad/3/9/0").status_code == 422
