"""Fixtures of the import tests: the corpus files and the places they name."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.imports.corpus import TOWNSHIP, VILLAGE, build
from tests.utils.features import feature, square


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build(tmp_path_factory.mktemp("import-corpus"))


@pytest.fixture
def places(client: TestClient) -> None:
    """The township and village the corpus names (the main test database is empty)."""
    for layer, props in (("townships", {"code": TOWNSHIP[0], "name": TOWNSHIP[1]}),
                         ("villages", {"code": VILLAGE[0], "name": VILLAGE[1], "township_code": TOWNSHIP[0]})):
        response = client.post(f"/api/layers/{layer}/features", json=feature(square(122.65, 40.80, 0.1), **props))
        assert response.status_code == 201, response.text


def upload(client: TestClient, layer: str, path: Path, **form: Any) -> Any:
    with path.open("rb") as f:
        return client.post(f"/api/layers/{layer}/imports", files={"file": (path.name, f)}, data=form)


def checked(client: TestClient, layer: str, path: Path, **form: Any) -> dict[str, Any]:
    """Upload, wait for the dry run, and return the import (its report in ``report``)."""
    response = upload(client, layer, path, **form)
    assert response.status_code == 202, response.text
    url = response.json()["url"]
    for _ in range(100):
        body = client.get(url).json()
        if body["status"] != "checking":
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("dry run did not finish")


def export_then_import(client: TestClient, layer: str, fmt: str, folder: Path, **params: Any) -> dict[str, Any]:
    """Export ``layer`` in ``fmt`` and dry-run the file back in: the import's report."""
    exported = client.get(f"/api/layers/{layer}/export", params={"format": fmt, **params})
    assert exported.status_code == 200, exported.text
    path = folder / f"{layer}-export.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(exported.content)
    return checked(client, layer, path)["report"]  # type: ignore[no-any-return]


UNCHANGED = {"problem_rows": 0, "problems": 0, "insert": 0, "update": 0}


def problems(body: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(p["row"], p["field"], p["message"]) for p in body["report"]["problems"]]


Checked = Callable[..., dict[str, Any]]
