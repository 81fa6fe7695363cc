"""A picture of layers served by /ogc as QGIS draws them, made headless with QGIS's map renderer.

Run with Debian's Python and python3-qgis (not the project's venv), against a running service:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/qgis_screenshot.py URL USER PASSWORD OUT.PNG NAME…
    (e.g. http://127.0.0.1:8000/ogc case_worker … out.png villages shelters households)

Each name is opened as an OAPIF layer (HTTP Basic, as QGIS is configured in the README); the picture
covers them all, 1000 × 700 pixels, the first layer at the bottom. Prints what it drew, as JSON.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def main() -> None:
    url, user, password, output, *names = sys.argv[1:]
    app = QgsApplication([], False)
    app.initQgis()
    layers = []
    for name in names:
        layer = QgsVectorLayer(f"url='{url}' typename='{name}' username='{user}' password='{password}'", name, "OAPIF")
        if not layer.isValid():
            raise SystemExit(f"QGIS could not open {name}: {layer.error().summary()}")
        layers.append(layer)
    extent = QgsRectangle()
    for layer in layers:
        if layer.featureCount():
            extent.combineExtentWith(layer.extent())
    settings = QgsMapSettings()
    settings.setLayers(list(reversed(layers)))  # the first name at the bottom
    settings.setDestinationCrs(layers[0].crs())
    settings.setBackgroundColor(QColor("white"))
    settings.setOutputSize(QSize(1000, 700))
    settings.setExtent(extent.buffered(extent.width() * 0.05))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(output, "PNG")
    print(json.dumps({layer.name(): layer.featureCount() for layer in layers}), flush=True)
    os._exit(0)  # QGIS 3.22 can crash in exitQgis() when headless: the picture is saved


if __name__ == "__main__":
    main()
