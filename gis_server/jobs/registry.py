"""Kinds of job and their handlers: ``@handler("kind")`` on a function ``(context, params) -> result``.

A handler gets a :class:`JobContext` (the database, ``progress(fraction, message)``) and the job's
parameters (JSON); it returns a JSON-able dict, or a :class:`FileOutput` for a download. It raises a
:class:`layers.errors.DomainError` for an answer the user should read (its Chinese message is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gis_server.db import Database


@dataclass(frozen=True)
class FileOutput:
    content: bytes
    media_type: str
    filename: str  # ASCII name of the download (``place_name_dictionary.pdf``)
    title: str  # the name people save it under (``海城市地名词典.pdf``)
    summary: dict[str, Any] | None = None


@dataclass
class JobContext:
    db: Database
    job_id: int
    report: Callable[[float, str | None], None]

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Tell the job's watchers how far it is (0–1) and what it is doing (Chinese)."""
        self.report(min(max(fraction, 0.0), 1.0), message)


Handler = Callable[[JobContext, dict[str, Any]], "dict[str, Any] | FileOutput"]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        _HANDLERS[kind] = function
        return function
    return register


def register(kind: str, function: Handler) -> None:
    _HANDLERS[kind] = function


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    return sorted(_HANDLERS)
