"""How the page scripts start, checked on their text: each page script starts through ``HC.page``
(hc-core.js), reads the page config only through it, and no script but hc-core.js assigns ``HC.mode``.

The browser side (each page's start-up ran, with no JS error) is in ``test_navigation.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

JS = Path(__file__).resolve().parents[2] / "web_map" / "static" / "js"
# Scripts that start no page: shared modules the page scripts call, the nav's 待办 badge, the print
# button added to any map, the field page's service worker.
MODULES = {"hc-core.js", "hc-cluster.js", "hc-edit.js", "hc-exports.js", "hc-jobs.js", "hc-layers.js",
           "hc-search.js", "hc-style.js", "hc-tools.js", "hc-print.js", "hc-todo.js", "hc-field-sw.js"}
STARTS = re.compile(r"\bHC\.page\('([a-z-]+)'")
ASSIGNS_MODE = re.compile(r"\bHC\.mode\s*=(?!=)")
READS_CONFIG = "getElementById('hc-config')"


def scripts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(JS.glob("hc-*.js"))}


def page_names(source: str) -> set[str]:
    return set(STARTS.findall(source))


def test_every_page_script_starts_through_the_helper():
    names = {name: page_names(source) for name, source in scripts().items() if name not in MODULES}
    assert names == {
        "hc-app.js": {"map"}, "hc-campaign-forms.js": {"campaign-forms"}, "hc-changes.js": {"changes"},
        "hc-coverage-sections.js": {"coverage-sections"}, "hc-coverage.js": {"coverage"},
        "hc-feature.js": {"feature"}, "hc-field.js": {"field"}, "hc-gazetteer.js": {"gazetteer"},
        "hc-import.js": {"import"}, "hc-inspections.js": {"inspections"}, "hc-siting.js": {"siting"},
    }


def test_no_module_starts_a_page():
    assert {name: page_names(source) for name, source in scripts().items()
            if name in MODULES and name != "hc-core.js" and page_names(source)} == {}


def test_only_the_helper_reads_the_page_config():
    assert [name for name, source in scripts().items() if READS_CONFIG in source] == ["hc-core.js"]


def test_only_hc_core_assigns_the_mode():
    assert [name for name, source in scripts().items() if ASSIGNS_MODE.search(source)] == ["hc-core.js"]


def test_the_checks_see_what_they_look_for():
    assert page_names("  HC.page('coverage', start);\n") == {"coverage"}
    assert ASSIGNS_MODE.search("    HC.mode = 'draw';") and ASSIGNS_MODE.search("HC.mode=null")
    assert not ASSIGNS_MODE.search("if (HC.mode === 'draw')") and not ASSIGNS_MODE.search("HC.mode.set('draw')")
