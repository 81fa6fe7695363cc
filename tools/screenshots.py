"""``make screenshots``: one PNG per page for the README's "The pages" table, in docs/screenshots/.

As the browser tests do: a throwaway PostGIS cluster, migrated; the demo data loaded; one account per
role; the app served on a free port of 127.0.0.1 as installed with no 天地图 key or tile URL, so the maps
stand on the built-in basemap the service draws itself (nothing leaves the machine); headless
Chromium signs in through /login as the person who uses each page and waits for the page to be ready.
Each PNG is reduced to 256 colours so that it stays well under 200 kB. Not part of ``make test``
(a minute or two); ``tests/tools/test_screenshots.py`` checks that this list matches the README.

    .venv/bin/python -m tools.screenshots [--only coverage,place-names]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@dataclass(frozen=True)
class Shot:
    name: str  # docs/screenshots/<name>.png
    row: str  # the README row (its first cell) that shows it
    path: str  # may hold {place_name}: the first demo place name's id
    role: str
    viewport: tuple[int, int] = (1280, 800)
    ready: str = "window.HC && HC.ready === true"  # the page's own signal that it has drawn
    prepare: Callable[[Any], None] | None = None  # after the page is ready


def _open_coverage_list(page: Any) -> None:
    page.wait_for_selector("#hc-sec-list[data-state='list']")


PAGES = [
    Shot("map", "`/`", "/", "viewer"),
    Shot("feature", "`/features/{layer}/{id}`", "/features/place_names/{place_name}", "viewer",
         ready="document.body.hasAttribute('data-loaded')"),
    Shot("siting", "`/siting`", "/siting", "funeral_planner"),
    Shot("coverage", "`/coverage`", "/coverage", "case_worker", prepare=_open_coverage_list),
    Shot("place-names", "`/place-names`", "/place-names", "place_names_editor"),
    Shot("imports", "`/imports`, `/imports/{layer}`", "/imports/place_names", "place_names_editor"),
    Shot("changes", "`/changes`", "/changes", "viewer"),
    Shot("inspections", "`/inspections`, `/field`", "/inspections", "boundary_surveyor"),
    Shot("field", "`/inspections`, `/field`", "/field", "boundary_surveyor", viewport=(390, 780)),
]


def shrink(path: Path) -> int:
    """Reduce the PNG to 256 colours (screens have few); its size in bytes."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)
    return path.stat().st_size


def _first_place_name(engine: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT min(id) FROM place_names WHERE retired_at IS NULL AND status = 'approved'"))\
            .scalar_one()


def take(shots: list[Shot]) -> tuple[list[tuple[Path, int]], list[str]]:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import create_engine

    from gis_server.app import create_app
    from gis_server.migrate import upgrade
    from gis_server.settings import Settings
    from importers.demo import load_demo
    from tests.conftest import PASSWORD
    from tests.utils.accounts import create_role_accounts
    from tests.utils.database import ROLES, throwaway_cluster
    from tests.utils.live_server import serving
    from tests.web_map.conftest import CHROMIUM, CHROMIUM_FLAGS, new_context
    from web_map.assets import install
    from web_map.settings import MapSettings

    OUT.mkdir(parents=True, exist_ok=True)
    install()
    done: list[tuple[Path, int]] = []
    failed: list[str] = []
    with throwaway_cluster("gis_screens") as urls, tempfile.TemporaryDirectory() as data:
        upgrade(urls.owner, roles=ROLES)
        owner = create_engine(urls.owner)
        load_demo(owner, echo=lambda line: print(line, file=sys.stderr))
        with owner.begin() as conn:
            create_role_accounts(conn, PASSWORD)
        ids = {"place_name": _first_place_name(owner)}
        owner.dispose()
        app = create_app(Settings(environment="test", database_url=urls.app, _env_file=None, data_dir=Path(data)))
        app.state.map_settings = MapSettings(_env_file=None, basemap="auto", tianditu_key=None, xyz_url=None)
        with serving(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            for shot in shots:
                context = new_context(browser, viewport={"width": shot.viewport[0], "height": shot.viewport[1]},
                                      has_touch=shot.viewport[0] < 700)
                try:
                    done.append(_one(context.new_page(), base, shot, shot.path.format(**ids)))
                except Exception as e:  # noqa: BLE001 — one page's failure is reported, the others are still made
                    failed.append(f"{shot.name}: {e}")
                finally:
                    context.close()
            browser.close()
    for line in failed:
        print("失败 / failed:", line, file=sys.stderr)
    return done, failed


def _one(page: Any, base: str, shot: Shot, path: str) -> tuple[Path, int]:
    from tests.web_map.conftest import sign_in

    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:"))
            else outside.append(r.url))
    sign_in(page, base, shot.role, next_path=path)
    page.wait_for_function(shot.ready, timeout=60_000)
    if shot.prepare:
        shot.prepare(page)
    page.wait_for_load_state("networkidle")  # the basemap's tiles, drawn by the service
    page.wait_for_timeout(400)  # tiles and labels settle
    if outside:
        raise RuntimeError(f"requests left 127.0.0.1: {outside}")
    target = OUT / f"{shot.name}.png"
    page.screenshot(path=str(target))
    size = shrink(target)
    print(f"{target.name}: {size / 1024:.0f} kB ({shot.role} at {path})")
    return target, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="README screenshots of every page (docs/screenshots/)")
    parser.add_argument("--only", default="", help="comma-separated shot names, e.g. coverage,place-names")
    args = parser.parse_args(argv)
    wanted = {n for n in args.only.split(",") if n}
    unknown = wanted - {s.name for s in PAGES}
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in PAGES)}")
    _, failed = take([s for s in PAGES if not wanted or s.name in wanted])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
