"""The page links in Chromium: every page has the same six, on a desktop in the bar and on a phone
(390×844, touch) behind the ☰ button, where every link and the map's tools are on screen.
Signed in as the administrator; zero JS errors and zero requests outside 127.0.0.1 (``as_role``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web_map.conftest import PageWatch

LINKS = [("/", "地图"), ("/siting", "公墓选址"), ("/coverage", "服务覆盖"), ("/place-names", "地名管理"),
         ("/inspections", "界线联检"), ("/field", "外业"), ("/imports", "导入")]
PHONE = (390, 844)


def pages(seed: dict[str, int]) -> list[tuple[str, str]]:
    """(path, the link marked as where one is) of every page."""
    return [("/", "/"), ("/siting", "/siting"), ("/coverage", "/coverage"), ("/place-names", "/place-names"),
            (f"/place-names/{seed['place_names']}", "/place-names"), ("/inspections", "/inspections"),
            ("/field", "/field"), ("/imports", "/imports"), (f"/features/cemeteries/{seed['cemeteries']}", "/")]


def visit(web: PageWatch, path: str) -> None:
    web.page.goto(web.base + path)
    web.page.wait_for_load_state("networkidle")


def links(web: PageWatch) -> list[tuple[str, str]]:
    return web.page.eval_on_selector_all("#hc-nav a", "as => as.map(a => [a.getAttribute('href'), a.textContent])")


def on_screen(web: PageWatch, selector: str) -> bool:
    box = web.page.locator(selector).bounding_box()
    width, height = web.page.viewport_size["width"], web.page.viewport_size["height"]
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width \
        and box["y"] + box["height"] <= height


def test_every_page_has_the_same_links(as_role: Any, seed: dict[str, int]) -> None:
    web = as_role("admin")
    for path, current in pages(seed):
        visit(web, path)
        assert [tuple(link) for link in links(web)] == LINKS, path
        assert all(web.page.locator(f"#hc-nav a[href='{href}']").is_visible() for href, _ in LINKS), path
        assert web.page.locator(".hc-menu").is_hidden(), path  # no menu on a desktop
        marked = web.page.eval_on_selector_all("#hc-nav a[aria-current]", "as => as.map(a => a.getAttribute('href'))")
        assert marked == [current], path
    web.shot("90-nav-desktop-map-feature")


STARTED = {"/": ["map"], "/siting": ["siting"], "/coverage": ["coverage", "coverage-sections"],
           "/place-names": ["gazetteer"], "/inspections": ["inspections", "campaign-forms"], "/field": ["field"],
           "/imports": ["import"], "/changes": ["changes"]}


def started(path: str) -> list[str]:
    """The page scripts a path runs (``HC.page`` names, in order), by the page's kind."""
    if path.startswith("/features/"):
        return ["feature"]
    return STARTED["/place-names" if path.startswith("/place-names/") else path]


def test_every_page_starts_its_scripts_through_the_helper(as_role: Any, seed: dict[str, int]) -> None:
    web = as_role("admin")
    for path in [p for p, _ in pages(seed)] + ["/changes"]:
        expected = started(path)
        web.page.goto(web.base + path)
        web.page.wait_for_function("n => window.HC && HC.started && HC.started.length >= n", arg=len(expected))
        assert web.page.evaluate("HC.started") == expected, path
        assert web.page.evaluate("HC.mode.current()") is None, path
        assert web.errors == [], (path, web.errors)


@pytest.mark.parametrize("path_index", range(9))
def test_every_link_is_reachable_on_a_phone(as_role: Any, seed: dict[str, int], path_index: int) -> None:
    web = as_role("admin", PHONE)
    path = pages(seed)[path_index][0]
    visit(web, path)
    assert web.page.evaluate("document.scrollingElement.scrollWidth") <= PHONE[0]
    assert on_screen(web, ".hc-menu")
    assert web.page.locator("#hc-nav").is_hidden()
    web.page.click(".hc-menu")
    for href, _ in LINKS:
        assert on_screen(web, f"#hc-nav a[href='{href}']"), (path, href)
    web.shot(f"91-nav-phone-{path_index}")
    web.page.click(".hc-menu")  # and closes again
    assert web.page.locator("#hc-nav").is_hidden()


def test_the_phone_map_shows_its_tools_and_leads_to_other_pages(as_role: Any) -> None:
    web = as_role("admin", PHONE)
    web.open("/")
    for selector in ("#hc-search-input", "#hc-btn-layers", "#hc-btn-new", "#hc-btn-measure-line",
                     "#hc-btn-measure-area", ".hc-menu"):
        assert on_screen(web, selector), selector
    web.page.click(".hc-menu")
    web.page.click("#hc-nav-inspections")
    web.page.wait_for_url(web.base + "/inspections")
    web.page.wait_for_function("window.HC && HC.ready === true")
    web.page.click(".hc-menu")
    web.page.click("#hc-nav-map")
    web.page.wait_for_url(web.base + "/")
