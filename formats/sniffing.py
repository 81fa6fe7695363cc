r"""What a file's first bytes say it is, whatever its name says.

>>> content_kind(b'PK\x03\x04...'), content_kind(b'SQLite format 3\x00...'), content_kind(b'  {"type": 1}')
('zip', 'sqlite', 'json')
>>> content_kind(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- x --><kml xmlns="http://www.opengis.net/kml/2.2">')
'xml:kml'
>>> content_kind(b'<OGRVRTDataSource><OGRVRTLayer name="x">'), content_kind(b'name,lon\n'), content_kind(b'')
('xml:OGRVRTDataSource', 'text', 'empty')
>>> content_kind(bytes(range(256)))
'binary'
"""

from __future__ import annotations

import re

HEAD_BYTES = 64 * 1024  # enough for an XML prolog, a DTD or a CSV header
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_PROLOG = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)", re.S)


def _xml_root(head: bytes) -> str:
    rest = head
    while (match := _PROLOG.match(rest)) is not None:
        rest = rest[match.end():]
    root = _XML_ROOT.match(rest.lstrip())
    return f"xml:{root.group(2).decode('ascii')}" if root else "xml:"


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a character cut at the end of the head is fine
                continue
            text = head[:exc.start].decode(encoding)
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
        return controls == 0
    return False


def content_kind(head: bytes) -> str:
    """``zip`` | ``sqlite`` | ``json`` | ``xml:<root element>`` | ``text`` | ``binary`` | ``empty``."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not stripped:
        return "empty"
    if stripped[:1] in (b"{", b"["):
        return "json"
    if stripped[:1] == b"<":
        return _xml_root(stripped)
    return "text" if _is_text(head) else "binary"
