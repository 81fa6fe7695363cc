"""The HTML face of the OGC API documents (``?f=html`` or a browser's Accept): plain pages, no script."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi.responses import HTMLResponse

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:70em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}</style></head>
<body><p><a href="{root}">OGC API 首页</a></p><h1>{title}</h1>{body}</body></html>"""


def _links(links: list[dict[str, Any]]) -> str:
    items = "".join(f'<li><a href="{escape(link["href"])}">{escape(link.get("title") or link["rel"])}</a> '
                    f'<small>({escape(link["rel"])}, {escape(link.get("type", ""))})</small></li>'
                    for link in links)
    return f"<ul>{items}</ul>"


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(row.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(document: dict[str, Any], root: str) -> HTMLResponse:
    """A page for a landing, conformance, collections, collection, items or item document."""
    title = document.get("title") or document.get("id") or "OGC API"
    parts = []
    if document.get("description"):
        parts.append(f"<p>{escape(document['description'])}</p>")
    if "conformsTo" in document:
        parts.append("<ul>" + "".join(f"<li>{escape(c)}</li>" for c in document["conformsTo"]) + "</ul>")
    if "collections" in document:
        rows = [{"图层": c["id"], "名称": c["title"]} for c in document["collections"]]
        parts.append(_table(rows, ["图层", "名称"]))
    features = document.get("features")
    if document.get("type") == "Feature":
        features = [document]
    if features is not None:
        if "numberMatched" in document:
            parts.append(f"<p>共 {document['numberMatched']} 个要素，本页 {document['numberReturned']} 个</p>")
        rows = [{"id": f.get("id"), **(f.get("properties") or {})} for f in features]
        columns = list(dict.fromkeys(k for row in rows for k in row))
        parts.append(_table(rows, columns))
    if "properties" in document and document.get("type") == "object":  # queryables
        rows = [{"字段": k, "名称": v.get("title", ""), "类型": v.get("type", v.get("format", ""))}
                for k, v in document["properties"].items()]
        parts.append(_table(rows, ["字段", "名称", "类型"]))
    parts.append(_links(document.get("links", [])))
    return HTMLResponse(_PAGE.format(title=escape(str(title)), root=escape(root), body="".join(parts)))
