"""GPX 1.1 waypoints for handheld GNSS receivers: write the markers to visit, read the fixes back.

Handhelds keep short names: each waypoint is named ``L<line id>-<marker number>`` (e.g. ``L3-004Q``),
which is how a fix taken at the marker is matched on the way back. Uploaded GPX files are read by
GDAL's GPX driver through ``formats`` (no XML parsing of uploads in Python).

>>> data = write_waypoints([Waypoint(122.75, 40.85, "L3-004Q", "海城市—大石桥市界线 004Q", "界桩")])
>>> b'<name>L3-004Q</name>' in data and b'lat="40.85000000"' in data
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

GPX_NS = "http://www.topografix.com/GPX/1/1"


@dataclass(frozen=True)
class Waypoint:
    lon: float
    lat: float
    name: str
    description: str = ""
    symbol: str = ""
    comment: str = ""
    time: datetime | None = None


def write_waypoints(waypoints: list[Waypoint], creator: str = "haicheng-gis") -> bytes:
    """A GPX 1.1 document with one ``<wpt>`` per waypoint (WGS84 = CGCS2000 at handheld accuracy)."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": creator})
    for w in waypoints:
        wpt = ET.SubElement(root, f"{{{GPX_NS}}}wpt", {"lat": f"{w.lat:.8f}", "lon": f"{w.lon:.8f}"})
        if w.time:
            ET.SubElement(wpt, f"{{{GPX_NS}}}time").text = w.time.isoformat()
        ET.SubElement(wpt, f"{{{GPX_NS}}}name").text = w.name
        if w.comment:
            ET.SubElement(wpt, f"{{{GPX_NS}}}cmt").text = w.comment
        if w.description:
            ET.SubElement(wpt, f"{{{GPX_NS}}}desc").text = w.description
        if w.symbol:
            ET.SubElement(wpt, f"{{{GPX_NS}}}sym").text = w.symbol
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
