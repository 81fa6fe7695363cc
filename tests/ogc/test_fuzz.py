"""The /ogc operations fuzzed by schemathesis (as tests/security/test_schema_fuzz.py does for the whole
document), as the roles that read the most: no request gets a 5xx."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.utils.fuzz import EXAMPLES, api_schema, operations_of, server_errors  # noqa: F401


@pytest.mark.parametrize("role", ["admin", "case_worker"])
def test_no_ogc_operation_answers_5xx(api_schema, settings, role):  # noqa: F811
    operations = [op for op in operations_of(api_schema) if op.path.startswith("/ogc")]
    assert len(operations) >= 15
    headers = bearer(settings, role)
    errors = [error for op in operations for mode in EXAMPLES for error in server_errors(op, mode, headers)]
    assert errors == []
