"""Run by Debian's /usr/bin/python3 with python3-qgis (not the project's venv): QGIS's own OAPIF provider
opens every collection named on the command line with a bbox and a small page size, reads every
feature through the paging, and prints {collection: [features read, valid, crs]} as JSON.

    python3 qgis_client.py URL USER PASSWORD minx,miny,maxx,maxy PAGE_SIZE name [name …]
"""

import json
import os
import sys

from qgis.core import QgsApplication, QgsFeatureRequest, QgsRectangle, QgsVectorLayer


def main() -> None:
    url, user, password, bbox, page_size, *names = sys.argv[1:]
    app = QgsApplication([], False)
    app.initQgis()
    rect = QgsRectangle(*(float(v) for v in bbox.split(",")))
    out = {}
    for name in names:
        uri = (f"url='{url}' typename='{name}' pageSize='{page_size}' restrictToRequestBBOX='1' "
               f"username='{user}' password='{password}'")
        layer = QgsVectorLayer(uri, name, "OAPIF")
        read = sum(1 for feature in layer.getFeatures(QgsFeatureRequest().setFilterRect(rect))
                   if feature.hasGeometry()) if layer.isValid() else -1
        out[name] = [read, layer.isValid(), layer.crs().authid()]
    print(json.dumps(out), flush=True)
    os._exit(0)  # QGIS 3.22 can crash in exitQgis() when headless: the answer is out


if __name__ == "__main__":
    main()
