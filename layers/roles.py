"""Role names, and who acts. Roles are data (stored with the accounts); these are the ones the layers name."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
PLACE_NAMES_EDITOR = "place_names_editor"
FUNERAL_PLANNER = "funeral_planner"
BOUNDARY_SURVEYOR = "boundary_surveyor"
CASE_WORKER = "case_worker"
VIEWER = "viewer"

ROLE_TITLES = {
    ADMIN: "系统管理员",
    PLACE_NAMES_EDITOR: "地名编辑",
    FUNERAL_PLANNER: "殡葬规划",
    BOUNDARY_SURVEYOR: "界线测绘",
    CASE_WORKER: "社会救助经办",
    VIEWER: "只读用户",
}
ALL_ROLES = frozenset(ROLE_TITLES)
# Everyone but the case office reads the non-personal layers; the case office reads them too.
EVERYONE = ALL_ROLES


@dataclass(frozen=True)
class Actor:
    """Who acts, with which roles and from where: for permission checks, history rows and the audit log."""

    name: str
    roles: frozenset[str] = frozenset()
    address: str | None = None

    def has_role(self, *roles: str) -> bool:
        """Whether the actor holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)
