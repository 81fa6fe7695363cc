"""The test accounts: one per role, named after it, and the administrator who also holds the case office."""

from __future__ import annotations

from typing import Any

from gis_server.accounts.service import create_user
from layers.roles import ADMIN, ALL_ROLES, CASE_WORKER

# An admin as such reads no household (issue 14, LayerSpec.admin_may); the fixtures that seed and read every
# layer sign in as this account, which holds both roles.
ADMIN_CASE_OFFICE = "admin_case"


def create_role_accounts(conn: Any, password: str) -> None:
    for role in sorted(ALL_ROLES):
        create_user(conn, role, password, [role])
    create_user(conn, ADMIN_CASE_OFFICE, password, [ADMIN, CASE_WORKER])
