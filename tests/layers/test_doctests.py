"""The examples in docstrings run (the edge cases they show are part of the contract)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["layers.geometry", "layers.privacy", "layers.inputs", "importers.tabular",
                                    "importers.site_upload", "formats.sniffing", "formats.opening", "formats.errors",
                                    "gis_server.downloads", "formats.sheets", "formats.vectors",
                                    "layers.exports.columns"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0
