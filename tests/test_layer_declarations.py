"""What a layer's declaration says is what the pages, the coverage and the database do: the lists that
were written out by hand (coverage sources, refresh triggers, new-feature pages, search) are built from
the registry, and these tests build their expectations from it too."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import text

from gis_server.routers.pages import layer_metadata
from layers.catalog import registry
from layers.coverage.radii import DEFAULTS, SOURCES, WATCHED
from layers.roles import ADMIN, Actor
from web_map.builder import map_config
from web_map.settings import MapSettings

COVERAGE = [spec for spec in registry() if spec.coverage]


def test_coverage_sources_are_the_layers_that_say_they_count():
    assert [source.layer for source in SOURCES] == [spec.table.name for spec in COVERAGE]
    assert WATCHED == ("roads", *(spec.name for spec in COVERAGE))
    for spec in COVERAGE:  # every type of a counted layer has a default service area
        assert spec.coverage is not None
        assert set(spec.coverage.types) <= set(DEFAULTS), spec.name


def test_the_database_marks_coverage_stale_for_exactly_the_watched_layers(conn):
    definition = conn.execute(text("SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                                   "WHERE tgname = 'feature_history_coverage_dirty'")).scalar_one()
    listed = definition[definition.index("ARRAY[") + 6:definition.index("])")]
    assert [name.strip().split("'")[1] for name in listed.split(",")] == list(WATCHED)


def test_the_map_gets_new_feature_pages_and_search_from_the_declarations():
    actor = Actor("admin", frozenset({ADMIN}))
    config = map_config([layer_metadata(spec, actor) for spec in registry()], MapSettings(_env_file=None), [])
    assert config["newFeaturePages"] == {spec.name: asdict(spec.new_feature_page) for spec in registry()
                                         if spec.new_feature_page and spec.can_read(actor.roles)}
    assert config["newFeaturePages"] == {"place_names": {"href": "/place-names#pn-new",
                                                         "note": "到地名管理页登记拟命名 ›"}}
    searchable = [spec for spec in registry() if spec.search_api]
    assert config["searches"] == [{"api": spec.search_api, "layer": spec.name, "field": spec.title_field}
                                  for spec in searchable]
    assert config["searches"] == [{"api": "/api/place-names/search", "layer": "place_names", "field": "name"}]


def test_the_map_searches_every_searchable_layer_it_may_read():
    """A second layer that declares a search API is searched too (not only the first); one the user may
    not read is not offered."""
    actor = Actor("viewer", frozenset({"viewer"}))
    layers = [layer_metadata(spec, actor) for spec in registry()]
    by_name = {layer["name"]: layer for layer in layers}
    by_name["shelters"]["search_api"] = "/api/shelters/search"
    by_name["households"]["search_api"] = "/api/households/search"
    assert not by_name["households"]["permissions"]["read"]
    config = map_config(layers, MapSettings(_env_file=None), [])
    assert config["searches"] == [
        {"api": "/api/place-names/search", "layer": "place_names", "field": "name"},
        {"api": "/api/shelters/search", "layer": "shelters", "field": "name"}]
