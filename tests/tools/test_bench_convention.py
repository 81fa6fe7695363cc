"""Every ``bench/bench_*.py`` follows the convention ``make bench`` relies on (``bench/rows.py``): a
``main(argv)`` that ``bench/run_all.py`` calls as ``main([])``, returning its figures as rows. Five benches had
a ``main()`` of no arguments (``make bench`` printed their tracebacks instead of their figures) and four
returned an exit code (their figures, one NOT MET among them, were missing from the table): issue 21.
Read, not run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
MODULES = sorted(BENCH.glob("bench_*.py"))


def test_there_are_benches() -> None:
    assert len(MODULES) >= 18


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_main_takes_argv_and_returns_rows(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (main,) = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"]
    parameters = main.args.args
    assert parameters and parameters[0].arg == "argv", f"{path.name}: main(argv: list[str] | None = None)"
    assert len(main.args.defaults) == len(parameters), f"{path.name}: every parameter needs a default"
    assert main.returns is not None and "Row" in ast.unparse(main.returns), f"{path.name}: main returns its rows"
