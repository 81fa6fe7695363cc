"""Domain errors. Each carries a Chinese message for users and an English one for logs/clients.

The HTTP layer maps them to status codes once (``gis_server.errors``); nothing here knows HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of the errors users can cause; ``message`` is what they read (Chinese)."""

    code = "error"

    def __init__(self, message: str, message_en: str = "", **details: Any):
        super().__init__(message_en or message)
        self.message = message
        self.message_en = message_en
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "message_en": self.message_en, **self.details}


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidGeometry(InvalidInput):
    code = "invalid_geometry"


class PreconditionRequired(DomainError):
    code = "precondition_required"


class VersionConflict(DomainError):
    code = "version_conflict"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Throttled(DomainError):
    code = "too_many_attempts"
