"""The sign-in page (the form posts to ``POST /api/auth/session``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

TEMPLATES = Path(__file__).resolve().parents[2] / "web_map" / "templates"
router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page() -> FileResponse:
    return FileResponse(TEMPLATES / "login.html", media_type="text/html; charset=utf-8")


@router.get("/login.js")
def login_script() -> FileResponse:
    return FileResponse(TEMPLATES / "login.js", media_type="text/javascript; charset=utf-8")
