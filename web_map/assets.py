"""Front-end libraries from the npm registry, installed at setup into an ignored folder.

``python -m web_map.assets`` runs ``npm ci`` (or ``npm install`` when there is no lock file) on
the pinned ``web_map/package.json`` and copies the few distribution files the pages use into
``web_map/static/vendor/`` (git-ignored), which the app serves under ``/static/vendor/``. Nothing
third-party is committed. A stamp (hash of package.json, package-lock.json and the file list)
makes a second run return at once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

WEB_MAP = Path(__file__).resolve().parent
PACKAGE_JSON = WEB_MAP / "package.json"
PACKAGE_LOCK = WEB_MAP / "package-lock.json"
NODE_MODULES = WEB_MAP / "node_modules"
VENDOR = WEB_MAP / "static" / "vendor"
STAMP = VENDOR / ".stamp.json"

# destination under static/vendor → source under node_modules (a folder is copied whole)
FILES: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "geoman/leaflet-geoman.js": "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js",
    "geoman/leaflet-geoman.css": "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css",
    "vectorgrid/Leaflet.VectorGrid.bundled.min.js": "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "proj4/proj4.js": "proj4/dist/proj4.js",
    # what folium's own elements load (markers with icons, popups styled by Bootstrap)
    "jquery/jquery.min.js": "jquery/dist/jquery.min.js",
    "bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "fontawesome/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "fontawesome/webfonts": "@fortawesome/fontawesome-free/webfonts",
    "awesome-markers/leaflet.awesome-markers.js": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "awesome-markers/leaflet.awesome-markers.css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome-markers/images": "leaflet.awesome-markers/dist/images",
}

NPM_MISSING = (
    "找不到 npm（Node.js 的包管理器），无法安装地图前端库。\n"
    "npm not found: the web map's front-end libraries come from the npm registry.\n"
    "On Debian/Ubuntu: apt-get install -y npm   (or install Node.js ≥ 18 from nodejs.org)"
)


class AssetError(RuntimeError):
    """The front-end libraries could not be installed."""


def fingerprint() -> str:
    """A hash of what decides the vendor folder's content."""
    digest = hashlib.sha256()
    for path in (PACKAGE_JSON, PACKAGE_LOCK):
        digest.update(path.read_bytes() if path.exists() else b"-")
    digest.update(json.dumps(FILES, sort_keys=True).encode())
    return digest.hexdigest()


def is_current() -> bool:
    """True when the vendor folder was filled from the current package files and is complete."""
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == fingerprint() and all((VENDOR / dest).exists() for dest in FILES)


def _npm(npm: str, args: list[str]) -> None:
    command = [npm, *args, "--no-audit", "--no-fund", "--ignore-scripts", "--omit=dev", "--loglevel=error"]
    result = subprocess.run(command, cwd=WEB_MAP, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise AssetError(f"npm {' '.join(args)} 失败 / failed (exit {result.returncode}):\n"
                         f"{result.stderr.strip()[-2000:]}")


def install(force: bool = False, echo=print) -> bool:
    """Install the pinned packages and copy their files; returns False when already current."""
    if not force and is_current():
        echo("前端库已是最新 / front-end libraries are up to date: " + str(VENDOR))
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(NPM_MISSING)
    echo("正在从 npm 安装前端库 / installing front-end libraries from npm …")
    _npm(npm, ["ci"] if PACKAGE_LOCK.exists() else ["install"])
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for dest, source in FILES.items():
        src, target = NODE_MODULES / source, VENDOR / dest
        if not src.exists():
            raise AssetError(f"npm 包中缺少文件 / missing in the npm package: {source}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target)
        else:
            shutil.copy2(src, target)
    STAMP.write_text(json.dumps({"fingerprint": fingerprint(), "files": sorted(FILES)}, indent=1))
    echo(f"已安装 {len(FILES)} 项到 / installed into {VENDOR}")
    return True


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        install(force="--force" in args)
    except AssetError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
