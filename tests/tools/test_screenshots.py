"""``tools/screenshots.py`` (``make screenshots``) matches the README's "The pages" table: every row shows
at least one screenshot the command makes, every screenshot it makes is shown, and each committed PNG
is under 200 kB. The command itself is not run here (it loads the demo data: minutes)."""

from __future__ import annotations

import re

from gis_server.settings import PROJECT_ROOT
from tools.screenshots import OUT, PAGES, main


def _pages_section() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## The pages", 1)[1].split("\n## ", 1)[0]


def test_every_row_of_the_pages_table_shows_the_screenshots_the_command_makes() -> None:
    rows = {}
    for line in _pages_section().splitlines():
        if line.startswith("| `"):
            rows[line.split(" | ")[0][2:]] = re.findall(r'src="docs/screenshots/([a-z-]+)\.png"', line)
    made: dict[str, list[str]] = {}
    for shot in PAGES:
        made.setdefault(shot.row, []).append(shot.name)
    assert rows == made
    assert len(rows) == 8


def test_the_committed_screenshots_are_small() -> None:
    for shot in PAGES:
        png = OUT / f"{shot.name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert png.stat().st_size < 200_000, (png, png.stat().st_size)


def test_an_unknown_shot_is_refused_by_name(capsys) -> None:  # noqa: ANN001
    try:
        main(["--only", "nowhere"])
    except SystemExit as exit_:
        assert exit_.code == 2
    assert "unknown: nowhere; known: map, feature, siting" in capsys.readouterr().err
