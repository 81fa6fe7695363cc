"""The sign-in page (the form posts to ``POST /api/auth/session``) and where it goes afterwards."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from fastapi import APIRouter
from fastapi.responses import FileResponse

from gis_server.deps import Public

TEMPLATES = Path(__file__).resolve().parents[2] / "web_map" / "templates"
HOME = "/"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DECODE_ROUNDS = 3  # "%252e" is "%2e" once decoded: a path still changing after this is refused

router = APIRouter(include_in_schema=False)


def local_next(raw: str | None) -> str:
    r"""The page to open after signing in: ``raw`` when it is a path of this site as it stands, else ``/``.

    A browser reads ``//host``, ``/\host`` and ``/<tab>/host`` as another host, and resolves
    ``/.//host``, ``/..//host`` or ``/%2e//host`` into ``//host`` first. So the path is decoded
    (repeatedly), and refused when it then holds a backslash, a control character or ``//``, does
    not start with ``/``, or has ``.``/``..`` segments (normalising would change it).

    >>> local_next("/place-names?q=ltt"), local_next("/.//evil.example"), local_next("//evil.example")
    ('/place-names?q=ltt', '/', '/')
    >>> local_next("/%2e//x"), local_next("/./\\x"), local_next("https://evil.example/"), local_next(None)
    ('/', '/', '/', '/')
    """
    if not raw or not raw.startswith("/") or _CONTROL.search(raw) or "\\" in raw:
        return HOME
    path = re.split(r"[?#]", raw, maxsplit=1)[0]
    decoded = path
    try:
        for _ in range(_DECODE_ROUNDS):
            decoded, previous = unquote(decoded, errors="strict"), decoded
            if decoded == previous:
                break
        else:
            return HOME
    except UnicodeDecodeError:
        return HOME
    if "//" in decoded or "\\" in decoded or _CONTROL.search(decoded):
        return HOME
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return HOME  # normalising would change the path: not the page that was asked for
    return raw


@router.get("/login", dependencies=[Public])
def login_page() -> FileResponse:
    return FileResponse(TEMPLATES / "login.html", media_type="text/html; charset=utf-8")


@router.get("/login.js", dependencies=[Public])
def login_script() -> FileResponse:
    return FileResponse(TEMPLATES / "login.js", media_type="text/javascript; charset=utf-8")
