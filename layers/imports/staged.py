"""The checked rows of a dry run, kept for its commit: the commit writes them without reading the file again.

Stored encrypted in the import's row (``imports.content``, in place of the file once it is checked:
a roster's ID numbers are as secret there as in the file), as gzip'd JSON: each row's number, checked
properties, key, geometry (WKB) and, for households, the ID number's keyed hash the dry run looked up
(the commit's re-check looks it up again without hashing every row a second time). Dates and times come
back as the types the dry run checked.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime

import shapely

from layers.imports.check import ID_NUMBER_KEY, Planned, import_key
from layers.registry import LayerSpec

PARSERS = {"date": date.fromisoformat, "datetime": datetime.fromisoformat}


def dump(planned: list[Planned]) -> bytes:
    geometries = shapely.to_wkb([p.geom for p in planned], hex=True) if planned else []
    rows = [[p.number, p.properties, list(p.key) if p.key is not None else None, wkb, list(p.checked)]
            for p, wkb in zip(planned, geometries, strict=True)]
    return gzip.compress(json.dumps(rows, ensure_ascii=False, default=str).encode(), compresslevel=1)


def load(spec: LayerSpec, data: bytes) -> list[Planned]:
    rows = json.loads(gzip.decompress(data))
    typed = {f.name: PARSERS[f.type] for f in [*spec.all_fields, *spec.input_fields] if f.type in PARSERS}
    geometries = shapely.from_wkb([row[3] for row in rows]) if rows else []
    names = import_key(spec)
    hashed = names == ID_NUMBER_KEY
    out = []
    for (number, properties, key, _, *checked), geom in zip(rows, geometries, strict=True):
        for name in typed.keys() & properties.keys():
            if properties[name] is not None:
                properties[name] = typed[name](properties[name])
        # the key again from the typed properties (a date key came back as text); a hash is text as stored
        out.append(Planned(number, properties, geom, tuple(properties.get(k) for k in names) if key else None,
                           checked=tuple(checked[0]) if hashed and checked else ()))
    return out
