"""File names of downloads: in Chinese for the people who save them, with an ASCII fallback.

>>> print(disposition("地名录.csv", "directory.csv")["Content-Disposition"])
attachment; filename="directory.csv"; filename*=UTF-8''%E5%9C%B0%E5%90%8D%E5%BD%95.csv
"""

from __future__ import annotations

from urllib.parse import quote


def disposition(name: str, fallback: str, *, inline: bool = False) -> dict[str, str]:
    """A Content-Disposition header: ``filename*`` (RFC 6266/5987, UTF-8) for browsers, ``filename`` for
    clients that only know ASCII.
    """
    kind = "inline" if inline else "attachment"
    return {"Content-Disposition": f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"}
