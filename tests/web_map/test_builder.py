"""The map builder: HTML that loads only from this server, groups by theme, no features embedded."""

from __future__ import annotations

import re

import pytest

from gis_server.routers.pages import layer_metadata
from layers.catalog import THEMES, registry
from layers.roles import ADMIN, CASE_WORKER, VIEWER, Actor
from web_map.builder import build_map, layer_style, map_config, render_map_page
from web_map.settings import MapSettings

URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


def layers_for(*roles: str) -> list[dict]:
    actor = Actor("t", frozenset(roles))
    return [layer_metadata(spec, actor) for spec in registry()]


def settings(**kw) -> MapSettings:
    return MapSettings(_env_file=None, **kw)


def external_urls(html: str) -> list[str]:
    return [u for u in URL.findall(html) if not u.lstrip("htps:").startswith("//127.0.0.1")]


def test_page_references_only_this_server() -> None:
    html = render_map_page(layers_for(ADMIN), settings(), themes=THEMES, user="t")
    assert external_urls(html) == []
    # what the page loads (scripts, styles) comes from /static; links to our other pages are relative
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + re.findall(r'<link[^>]*\shref="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") or s == "data:," for s in sources), sources
    assert "/static/vendor/leaflet/leaflet.js" in sources
    links = re.findall(r'<a[^>]*\shref="([^"]+)"', html)
    assert all(link.startswith("/") and not link.startswith("//") for link in links), links
    assert '<html lang="zh-CN">' in html
    assert '"maxZoom": 18' in html


def test_layer_groups_and_legend_are_in_the_config() -> None:
    config = map_config(layers_for(ADMIN, CASE_WORKER), settings(), THEMES)  # all: admin alone has no households
    assert config["themes"] == list(THEMES)
    assert {layer["theme"] for layer in config["layers"]} == set(THEMES)
    roads = next(layer for layer in config["layers"] if layer["name"] == "roads")
    assert roads["large"] and roads["style"]["field"] == "road_class"
    assert [c["label"] for c in roads["style"]["categories"]][:2] == ["高速公路", "国道"]
    assert len({c["color"] for c in roads["style"]["categories"]}) == 5
    care = next(layer for layer in config["layers"] if layer["name"] == "care_facilities")
    assert care["style"]["field"] == "facility_type"
    shelters = next(layer for layer in config["layers"] if layer["name"] == "shelters")
    assert shelters["style"]["field"] == "shelter_type"  # the required category wins


def test_only_readable_layers_are_offered() -> None:
    config = map_config(layers_for(VIEWER), settings(), THEMES)
    names = {layer["name"] for layer in config["layers"]}
    assert "households" not in names and "shelters" in names
    assert "困难群众户" not in config["themes"]
    assert not any(layer["write"] for layer in config["layers"])
    html = render_map_page(layers_for(VIEWER), settings(), themes=THEMES)
    assert 'id="hc-btn-new"' not in html


def test_the_builtin_basemap_by_default_and_tianditu_with_a_key() -> None:
    plain = settings()
    assert plain.default_basemap() == "builtin" and [b["id"] for b in plain.basemaps()] == ["builtin", "none"]
    assert plain.basemaps()[0]["layers"][0]["url"] == "/basemap/{z}/{x}/{y}.png"  # this server: works offline
    assert settings(xyz_url="http://10.0.0.1/t/{z}/{x}/{y}.png").default_basemap() == "xyz"
    assert settings(basemap="none").default_basemap() == "none"
    keyed = settings(tianditu_key="abc")
    assert keyed.default_basemap() == "tianditu_vec"
    ids = [b["id"] for b in keyed.basemaps()]
    assert ids[0] == "tianditu_vec" and set(ids) == {"none", "builtin", "tianditu_vec", "tianditu_img"}
    vec = keyed.basemaps()[0]["layers"]
    assert "LAYER=vec" in vec[0]["url"] and "LAYER=cva" in vec[1]["url"] and "tk=abc" in vec[0]["url"]
    m = build_map(layers_for(ADMIN), plain, themes=THEMES)
    assert m.options["maxZoom"] == 18


def test_tianditu_needs_a_key() -> None:
    with pytest.raises(ValueError, match="GIS_TIANDITU_KEY"):
        settings(basemap="tianditu_img")


def test_the_key_comes_from_gis_tianditu_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIS_TIANDITU_KEY", "k1")
    monkeypatch.setenv("GIS_MAP_ZOOM", "12")
    s = MapSettings(_env_file=None)
    assert s.tianditu_key == "k1" and s.zoom == 12


def test_category_style_edge_cases() -> None:
    assert layer_style({"geometry_type": "Point", "style": {}, "fields": []})["field"] is None
    given = layer_style({"geometry_type": "Point", "style": {"categories": {"a": "#000000"}},
                         "fields": [{"name": "k", "label": "类", "choices": {"a": "甲"}}]})
    assert given["categories"][0]["color"] == "#000000"


def test_pages(client) -> None:
    from gis_server.deps import get_current_actor

    client.app.dependency_overrides[get_current_actor] = lambda: Actor("t", frozenset({ADMIN}))
    try:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert external_urls(page.text) == []
        feature = client.get("/features/shelters/1")
        assert feature.status_code == 200 and external_urls(feature.text) == []
        assert client.get("/features/nope/1").status_code == 404
        assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
        assert client.get("/static/js/hc-core.js").status_code == 200
        client.app.dependency_overrides[get_current_actor] = lambda: Actor("v", frozenset({VIEWER}))
        assert client.get("/features/households/1").status_code == 403
    finally:
        client.app.dependency_overrides.clear()
    response = client.get("/", follow_redirects=False, headers={"Authorization": "none"})  # signed out
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
