"""Helpers for the write-strictness tests (issue 13): the admin units a coded feature must name."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.utils.features import create, square

TOWNSHIP = "210381001"
VILLAGE = "210381001001"
OTHER_VILLAGE = "210381001002"


def admin_units(client: TestClient, *villages: str) -> dict[str, Any]:
    """The township 210381001 and the given villages of it (default: 210381001001), created by ``client``
    (an administrator); returns the created features by code.
    """
    out = {TOWNSHIP: create(client, "townships", square(122.6, 40.8, 0.2), code=TOWNSHIP, name="测试镇")}
    for i, code in enumerate(villages or (VILLAGE,)):
        out[code] = create(client, "villages", square(122.6 + 0.1 * i, 40.8, 0.1), code=code,
                           name=f"测试村{code[-3:]}", township_code=TOWNSHIP)
    return out
