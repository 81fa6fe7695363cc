"""The fields of a KML file's placemarks (``<ExtendedData>``), which GDAL's KML driver does not read.

Parsed with defusedxml (no entities, no DTD, no network); ``<Data name>``/``<value>`` and
``<SchemaData><SimpleData name>`` (KML 2.2 §9.3–9.5) alike, one dict per placemark in document order.
"""

from __future__ import annotations

from pathlib import Path

from defusedxml import ElementTree

from formats.errors import FileRefused


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def extended_data(path: Path) -> list[dict[str, str]]:
    try:
        placemarks = [e for e in ElementTree.parse(path).iter() if _local(e.tag) == "Placemark"]
    except Exception:  # malformed XML, forbidden constructs (defusedxml): GDAL refuses the file too
        raise FileRefused("KML 文件无法读取：不是有效的 XML", "KML: not valid XML") from None
    out = []
    for placemark in placemarks:
        fields: dict[str, str] = {}
        for element in placemark.iter():
            kind, name = _local(element.tag), element.get("name")
            if not name:
                continue
            if kind == "Data":
                value = next((v for v in element if _local(v.tag) == "value"), None)
                fields[name] = (value.text or "") if value is not None else ""
            elif kind == "SimpleData":
                fields[name] = element.text or ""
        out.append(fields)
    return out
