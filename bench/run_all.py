"""``make bench``: run every ``bench/bench_*.py`` (each in its own process), then print one table of every
figure and ratio, and write it with a description of the machine to ``bench/results/``.

    .venv/bin/python bench/run_all.py                  # short versions (GIS_BENCH_QUICK=1)
    .venv/bin/python bench/run_all.py --full           # full versions (the 10-minute soak …)
    .venv/bin/python bench/run_all.py --only soak      # the benches whose file name contains "soak"

The convention a bench follows is in :mod:`bench.rows`. Always exits 0: read the MET / NOT MET column.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
# runs one bench module in a child process and writes what its main() returned as JSON
CHILD = """
import importlib, json, sys
sys.path.insert(0, {repo!r})
rows = importlib.import_module("bench." + {module!r}).main([])
ok = isinstance(rows, list)
json.dump([list(r) for r in rows] if ok else None, open({out!r}, "w"), ensure_ascii=False)
"""


def discover(only: str | None) -> list[str]:
    return [p.stem for p in sorted(BENCH.glob("bench_*.py")) if not only or only in p.stem]


def machine() -> dict[str, str]:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1_048_576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    postgres = ""
    try:
        from gis_server.cluster import find_pg_bindir

        bindir = find_pg_bindir()
        postgres = subprocess.run([str(bindir / "postgres") if bindir else "postgres", "--version"],
                                  capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 (a description, not a requirement)
        pass
    return {"host": platform.node(), "system": platform.platform(), "cpu": cpu, "cores": str(os.cpu_count()),
            "memory": memory, "python": platform.python_version(), "postgres": postgres,
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def run(module: str, quick: bool) -> tuple[list[list], float, int, str]:
    """(rows or [], seconds, exit code, the last lines printed)."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as work:
        out = Path(work) / "rows.json"
        env = {**os.environ, "GIS_BENCH_QUICK": "1" if quick else "0", "PYTHONUNBUFFERED": "1"}
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", CHILD.format(repo=str(REPO), module=module, out=str(out))],
                                   cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            print(f"  {module}: {line}", end="")
            lines.append(line)
        code = process.wait()
        seconds = time.perf_counter() - started
        rows = json.loads(out.read_text()) if out.exists() else None
    return rows or [], seconds, code, "".join(lines[-20:])


def table(results: dict[str, tuple[list[list], float, int, str]]) -> str:
    lines = ["| bench | figure | value | unit | target | met |", "|---|---|---:|---|---|---|"]
    for module, (rows, seconds, code, _) in results.items():
        if not rows:
            note = "no rows (see its printed output)" if code == 0 else f"FAILED (exit {code})"
            lines.append(f"| {module} | {note} | {seconds:.0f} | s | | |")
        for name, figure, unit, target, met in rows:
            mark = "" if met is None else ("MET" if met else "**NOT MET**")
            lines.append(f"| {module} | {name} | {figure:,.3g} | {unit} | {target} | {mark} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="full versions (long soak)")
    ap.add_argument("--only", help="run the benches whose module name contains this")
    args = ap.parse_args(argv)
    started = datetime.now(UTC)
    results = {}
    for module in discover(args.only):
        print(f"== {module}", flush=True)
        results[module] = run(module, quick=not args.full)
    about = machine()
    text = "\n".join([f"# Benchmarks {started.isoformat(timespec='seconds')} ({'full' if args.full else 'short'})", "",
                      *(f"- {k}: {v}" for k, v in about.items()), "", table(results), ""])
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.md"
    path.write_text(text, encoding="utf-8")
    print(f"written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
