"""Schemathesis over the app's OpenAPI document: the operations and the requests that got a 5xx
(tests/security/test_schema_fuzz.py for the whole document, tests/ogc/test_fuzz.py for /ogc)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from gis_server.app import create_app
from tests.utils.database import RollbackDatabase

EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
SKIPPED = {("POST", "/api/auth/logout")}  # it would end the run's own session
# resumable photo uploads (tus) send raw bytes under their own media type
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture
def api_schema(settings, conn) -> Iterator[schemathesis.BaseSchema]:
    app = create_app(settings, database=RollbackDatabase(conn))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


def operations_of(schema: schemathesis.BaseSchema) -> list:
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if (op.method.upper(), op.path) not in SKIPPED]


def server_errors(operation, mode: GenerationMode, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(headers=headers)
        if response.status_code >= 500:
            found.append(f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:200]}")

    try:
        run()
    except Unsatisfiable:  # nothing to get wrong: an operation with no parameters has no negative cases
        assert mode is GenerationMode.NEGATIVE
    return found
