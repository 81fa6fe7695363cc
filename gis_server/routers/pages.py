"""The web pages (map, login, feature pages) and their static files."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

INDEX_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>海城民政一张图</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto">
<h1>海城民政一张图</h1><p>服务已运行。地图页面正在建设中。</p>
<ul><li><a href="/docs">接口文档（API docs）</a></li><li><a href="/api/layers">图层列表</a></li></ul>
</body></html>"""


@router.get("/", response_class=HTMLResponse)
def index() -> str:
    return INDEX_HTML


def install_pages(app: FastAPI) -> None:
    """Add the pages and their static files to the app."""
    app.include_router(router)
