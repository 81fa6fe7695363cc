"""The cost of migration 0029's statement triggers on bulk writes: 30,000 households inserted in one
statement, then all of them updated in one statement, with and without the triggers.

Three variants of the households table, in one throwaway cluster (migrated, no demo data), alternating
in ``--rounds`` rounds; each round is one transaction that is rolled back, so every round starts on
the same table:

* ``0029`` — as installed: one statement trigger per event with transition tables (``new_rows`` /
  ``old_rows``), which bumps the data version and records the extent the statement wrote;
* ``0026`` — the trigger it replaced: one statement trigger that only bumps the data version (no
  transition tables, no extent; every tile of the layer is rendered again after a write);
* ``none`` — neither.

Each variant twice: with the table's row triggers (history, versions, the listing: what a real write
pays) and on the bare table (every other user trigger disabled: the statement triggers' own cost
against the plain INSERT/UPDATE). Prints the median seconds per statement and the ratios ``0029 / none``
and ``0029 / 0026``. For information (no target). Always exits 0.

    .venv/bin/python bench/bench_data_triggers.py              # ≈ 5–10 minutes on a loaded machine
    .venv/bin/python bench/bench_data_triggers.py --rows 300000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_features import INSERT_HOUSEHOLDS, insert_parameters, synthetic_households  # noqa: E402
from bench.common import libpq_url, sqlalchemy_url, throwaway_cluster  # noqa: E402
from bench.rows import Row, quick  # noqa: E402

TABLE = "households"
NOTE_TRIGGERS = [f"{TABLE}_data_{event}" for event in ("insert", "update", "delete")]  # migration 0029
PLAIN_TRIGGER = "bench_plain_data_version"  # what migration 0026 had: the version bumped, nothing else
VARIANTS = {"0029": NOTE_TRIGGERS, "0026": [PLAIN_TRIGGER], "none": []}
UPDATE = f"UPDATE {TABLE} SET geom = ST_Translate(geom, 0.0001, 0), members = members + 1 WHERE source = 'bench'"


def round_trip(conn, enabled: list[str], bare: bool, parameters: list[list]) -> tuple[float, float]:  # noqa: ANN001
    """(insert seconds, update seconds) with only ``enabled`` of the statement triggers, and no other
    user trigger when ``bare``; rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT set_config('gis.user', 'bench', true), set_config('gis.reason', 'benchmark', true)")
        if bare:
            conn.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        for name in [*NOTE_TRIGGERS, PLAIN_TRIGGER]:
            state = "ENABLE" if name in enabled else "DISABLE"
            conn.execute(f'ALTER TABLE {TABLE} {state} TRIGGER "{name}"')
        t0 = time.perf_counter()
        conn.execute(INSERT_HOUSEHOLDS, parameters)
        t1 = time.perf_counter()
        updated = conn.execute(UPDATE).rowcount
        t2 = time.perf_counter()
        assert updated == len(parameters[0]), updated
    return t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=30_000, help="households per statement (default 30,000)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per variant (default 5)")
    args = ap.parse_args(argv)
    if quick() and not argv:  # make bench: one round (with the row triggers a round takes ≈ 1–2 minutes)
        args.rounds = 1

    import psycopg

    from gis_server.migrate import upgrade

    parameters = insert_parameters(synthetic_households(args.rows, seed=21))
    cases = [(name, bare) for bare in (False, True) for name in VARIANTS]
    times: dict[tuple[str, bool], dict[str, list[float]]] = {c: {"INSERT": [], "UPDATE": []} for c in cases}
    print(f"start: load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with throwaway_cluster("gis_bench_triggers") as url:
        upgrade(sqlalchemy_url(url))
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute(f'CREATE TRIGGER "{PLAIN_TRIGGER}" AFTER INSERT OR UPDATE OR DELETE ON {TABLE} '
                         "FOR EACH STATEMENT EXECUTE FUNCTION gis_bump_data_version()")
            round_trip(conn, NOTE_TRIGGERS, False, parameters)  # warm-up: plans, caches, the table's files
            for r in range(args.rounds):
                for case in cases[r % len(cases):] + cases[:r % len(cases)]:
                    insert, update = round_trip(conn, VARIANTS[case[0]], case[1], parameters)
                    times[case]["INSERT"].append(insert)
                    times[case]["UPDATE"].append(update)
            conn.execute(f'DROP TRIGGER "{PLAIN_TRIGGER}" ON {TABLE}')
    print(f"end: load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"\n{args.rows:,} households per statement, medians of {args.rounds} alternating rounds (s):")
    print(f"{'statement':<22} | {'0029':>7} {'0026':>7} {'none':>7} | {'0029/none':>9} {'0029/0026':>9}")
    rows: list[Row] = []
    for bare in (False, True):
        for statement in ("INSERT", "UPDATE"):
            m = {v: statistics.median(times[(v, bare)][statement]) for v in VARIANTS}
            label = f"{statement} {'bare table' if bare else 'row triggers on'}"
            print(f"{label:<22} | {m['0029']:7.3f} {m['0026']:7.3f} {m['none']:7.3f} | "
                  f"{m['0029'] / m['none']:8.3f}× {m['0029'] / m['0026']:8.3f}×")
            rows += [Row(f"data triggers: {args.rows:,}-row {label}, 0029's triggers", m["0029"] * 1000, "ms"),
                     Row(f"data triggers: {label}, 0029 / no statement trigger", m["0029"] / m["none"], "×"),
                     Row(f"data triggers: {label}, 0029 / 0026's trigger", m["0029"] / m["0026"], "×")]
    print("(0029 = statement triggers with transition tables and the written extent; 0026 = the version bump\n"
          " alone; none = neither; 'row triggers on' = history, versions and listing run too, as in a real write;\n"
          " 'bare table' = every other user trigger disabled)")
    return rows


if __name__ == "__main__":
    main()
