"""The differencing attack on the demo dataset (issue 13, part 3).

Found: small-cell suppression was undone by subtraction — a township total minus its published
villages, "all categories" minus "all but one", a row's households minus its covered — and recovered
377 village cells of 1–4 households. Here every role without household access collects every
household count it can reach (summaries, coverage by village and township and county, the
choropleth, suggestions, central-support demand, shelters) and runs the attack: nothing of 1–4 is
recovered. The same attack on the same data as the old rule published it (every cell suppressed on
its own, larger areas counted from the rows, categories chosen freely) recovers cells — so this test
fails if the rule goes back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import permutations
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text

from gis_server.accounts.security import issue_token
from gis_server.accounts.service import create_user
from gis_server.app import create_app
from gis_server.db import SESSION_OPTIONS
from gis_server.settings import Settings
from importers.demo import load_demo
from layers.coverage.analysis import coverage_rows
from layers.coverage.covered import covered_ctes
from layers.coverage.disclosure import households_spec, is_small, village_cell
from layers.coverage.radii import DEFAULTS
from layers.coverage.selection import Selection
from layers.households import HOUSEHOLD_CATEGORIES
from layers.roles import ALL_ROLES
from tests.utils.database import RollbackDatabase, committed_database, urls_of

RESTRICTED = ("viewer", "place_names_editor", "funeral_planner", "boundary_surveyor")
TYPES = tuple(DEFAULTS)  # every facility type
FIELDS = ("households", "covered", "uncovered")
RADIUS_TYPES = ("emergency", "fixed", "day_care")
Table = dict[str, Any]  # {"villages": {code: row}, "townships": {code: row}, "county": row | None}


@pytest.fixture(scope="module")
def demo(database_url: str) -> Iterator[tuple[Connection, dict[str, TestClient]]]:
    """The demo dataset in its own database; clients per role on one rolled-back transaction."""
    with committed_database(database_url, "gis_inference_demo") as url:
        owner = create_engine(urls_of(url).owner)  # the demo loads as the schema owner, as `demo load` does
        load_demo(owner, echo=lambda line: None)
        owner.dispose()
        engine = create_engine(url, connect_args={"options": SESSION_OPTIONS})
        settings = Settings(environment="test", database_url=url, _env_file=None)
        with engine.connect() as conn:
            transaction = conn.begin()
            clients = {}
            for role in sorted(ALL_ROLES):
                create_user(conn, role, "correct horse battery", [role])
                client = TestClient(create_app(settings, database=RollbackDatabase(conn)),
                                    raise_server_exceptions=False)
                client.__enter__()
                client.headers["Authorization"] = f"Bearer {issue_token(settings.secret_key, role, 600)}"
                clients[role] = client
            yield conn, clients
            for client in clients.values():
                client.__exit__(None, None, None)
            transaction.rollback()
        engine.dispose()


def _get(api: TestClient, url: str) -> Any:
    response = api.get(url)
    assert response.status_code == 200, (url, response.text)
    return response.json()


def collect(api: TestClient) -> dict[str, Table]:
    """Every household count the role can reach, as tables of village, township and county rows."""
    tables: dict[str, Table] = {}
    summary = {by: _get(api, f"/api/layers/households/summary?by={by}")["rows"] for by in ("village", "township")}
    tables["summary"] = {"villages": {r["code"]: r for r in summary["village"]},
                         "townships": {r["code"]: r for r in summary["township"]}, "county": None}
    for ftype in TYPES:
        q = f"/api/coverage?facility_type={ftype}"
        villages, townships = _get(api, q + "&by=village"), _get(api, q + "&by=township")
        tables[f"coverage:{ftype}"] = {"villages": {r["code"]: r for r in villages["rows"]},
                                       "townships": {r["code"]: r for r in townships["rows"]},
                                       "county": townships["total"]}
        choropleth = _get(api, f"/api/coverage/choropleth?facility_type={ftype}")["features"]
        tables[f"choropleth:{ftype}"] = {"villages": {f["id"]: f["properties"] for f in choropleth},
                                         "townships": {}, "county": None}
    return tables


def recovered(tables: dict[str, Table]) -> dict[tuple[str, str, str], int]:
    """The attack: (table, village or township, field) → a suppressed count of 1–4 it derives.

    1. An area minus its parts: a township (county) total minus its published villages
       (townships); one suppressed part is the difference; n suppressed parts summing to n are 1 each.
    2. A row's complement: households minus the published one of covered / uncovered.
    3. The same cell published in one table and suppressed in another.
    4. Nested selections: "all categories" minus "all but one" (tables ``cat:all`` / ``cat:-c``).
    """
    found: dict[tuple[str, str, str], int] = {}
    parent = {}
    for table in tables.values():
        parent.update({code: row.get("township_code") for code, row in table["villages"].items()})

    def subtract(name: str, total: int | None, parts: dict[str, int | None], field: str) -> None:
        hidden = [code for code, value in parts.items() if value is None]
        if total is None or not hidden:
            return
        rest = total - sum(v for v in parts.values() if v is not None)
        if len(hidden) == 1 and is_small(rest):
            found[(name, hidden[0], field)] = rest
        elif rest == len(hidden):
            found.update({(name, code, field): 1 for code in hidden})

    for name, table in tables.items():
        fields = [f for f in FIELDS if any(f in r for r in table["villages"].values())]
        for field in fields:
            by_township: dict[str, dict[str, int | None]] = defaultdict(dict)
            for code, row in table["villages"].items():
                by_township[parent[code]][code] = row[field]
            for code, row in table["townships"].items():
                subtract(name, row[field], by_township.get(code, {}), field)
            if table["county"] is not None and table["townships"]:
                subtract(name, table["county"][field],
                         {code: row[field] for code, row in table["townships"].items()}, field)
        for code, row in table["villages"].items():  # 2
            if "covered" in row and row["households"] is not None:
                for shown, hidden in (("covered", "uncovered"), ("uncovered", "covered")):
                    if row[shown] is not None and row[hidden] is None and is_small(row["households"] - row[shown]):
                        found[(name, code, hidden)] = row["households"] - row[shown]
    cells: dict[tuple[str, str], set[int | None]] = defaultdict(set)  # 3: households of a village, any table
    for name, table in tables.items():
        if not name.startswith("cat:-"):
            for code, row in table["villages"].items():
                cells[(code, "households")].add(row["households"])
    for (code, field), values in cells.items():
        if None in values and any(is_small(v) for v in values if v is not None):
            found[("any", code, field)] = next(v for v in values if v is not None)
    if "cat:all" in tables:  # 4
        everything = tables["cat:all"]["villages"]
        for name in (n for n in tables if n.startswith("cat:-")):
            for code, row in tables[name]["villages"].items():
                whole, part = everything[code]["households"], row["households"]
                if whole is not None and part is not None and is_small(whole - part):
                    found[(name, code, "only")] = whole - part
    return found


def nested_types(conn: Connection, tables: dict[str, Table]) -> dict[tuple[str, str, str], int]:
    """5. Two facility types whose covered households nest in a village (by placement, not by
    construction): the difference of their published covered cells would be a new cell. Checked
    against the true household sets, so only real nesting counts."""
    shared = households_spec().shared_map_filter or "true"
    village_of = dict(conn.execute(text(
        f"SELECT h.id, h.village_code FROM households h WHERE h.retired_at IS NULL AND {shared.format(t='h')}")).all())
    sets: dict[str, dict[str, set[int]]] = {}
    for ftype in TYPES:
        sel = Selection((ftype,))
        sets[ftype] = defaultdict(set)
        for (household,) in conn.execute(text(f"WITH {covered_ctes(sel)} SELECT id FROM covered"), sel.params()):
            if household in village_of:
                sets[ftype][village_of[household]].add(household)
    found = {}
    for a, b in permutations(TYPES, 2):
        rows_a, rows_b = tables[f"coverage:{a}"]["villages"], tables[f"coverage:{b}"]["villages"]
        for code, row in rows_a.items():
            if row["covered"] is None or rows_b[code]["covered"] is None or not sets[a][code] <= sets[b][code]:
                continue
            if is_small(rows_b[code]["covered"] - row["covered"]):
                found[(f"{b}-{a}", code, "covered")] = rows_b[code]["covered"] - row["covered"]
    return found


def as_published_before(conn: Connection) -> dict[str, Table]:
    """The same data as the old rule published it to these roles: every cell suppressed on its own,
    townships and the county counted from all rows, any category subset."""

    def old(sel: Selection | None, county: bool) -> Table:
        table: Table = {}
        for by in ("village", "township"):
            rows = coverage_rows(conn, sel, by, restricted=False)
            table[f"{by}s"] = {r["code"]: village_cell({k: r[k] for k in ("code", "township_code", *FIELDS[:2])
                                                        if k in r}, True) for r in rows}
        total = {f: sum(r[f] for r in coverage_rows(conn, sel, "township", False)) for f in FIELDS[:2]} if (
            county and sel) else None
        table["county"] = village_cell(total, True) if total else None
        return table

    tables = {"summary": old(None, False)}
    for ftype in TYPES:
        tables[f"coverage:{ftype}"] = old(Selection((ftype,)), True)
    tables["cat:all"] = old(Selection(("happiness_home",)), False)
    for category in HOUSEHOLD_CATEGORIES:
        others = tuple(c for c in HOUSEHOLD_CATEGORIES if c != category)
        tables[f"cat:-{category}"] = old(Selection(("happiness_home",), others), False)
    return tables


def test_no_suppressed_cell_is_recovered_by_any_role_without_household_access(demo):
    conn, clients = demo
    before = recovered(as_published_before(conn))
    print(f"cells of 1–4 households recovered from the old publication: {len(before)}")
    assert len(before) > 0  # the attack works on this data: the test can fail
    reference = None
    for role in RESTRICTED:
        tables = collect(clients[role])
        after = recovered(tables)
        print(f"{role}: {len(after)} recovered")
        assert after == {}, sorted(after.items())[:10]
        for name, table in tables.items():  # nothing of 1–4 is shown anywhere
            for row in [*table["villages"].values(), *table["townships"].values(), table["county"] or {}]:
                assert not any(is_small(row.get(f)) for f in FIELDS), (role, name, row)
        if reference is None:
            assert nested_types(conn, tables) == {}
        reference = reference or tables
        assert tables == reference  # one rule: every restricted role sees the same cells
        api = clients[role]
        for category in HOUSEHOLD_CATEGORIES:  # no category subset to subtract
            others = ",".join(c for c in HOUSEHOLD_CATEGORIES if c != category)
            for url in (f"/api/coverage?facility_type=happiness_home&category={others}",
                        f"/api/coverage/choropleth?facility_type=happiness_home&category={category}",
                        f"/api/coverage/export?facility_type=happiness_home&category={category}"):
                assert api.get(url).status_code == 403
        assert api.get("/api/coverage?facility_type=happiness_home,day_care").status_code == 403
        assert api.get("/api/coverage?facility_type=happiness_home&method=network").status_code == 403


def test_suggestions_demand_and_shelters_are_functions_of_published_cells(demo):
    conn, clients = demo
    api = clients["viewer"]
    counted = text("SELECT count(*) FROM audit_log WHERE username = 'viewer' AND action = 'count_households'")
    before = conn.execute(counted).scalar_one()  # the module's earlier tests counted too
    for ftype in RADIUS_TYPES:  # 幸福院 serve their own village: nothing to site by radius
        uncovered = _get(api, f"/api/coverage?facility_type={ftype}&by=township")["total"]["uncovered"]
        response = api.post("/api/coverage/suggest", json={"facility_type": ftype, "k": 10})
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["uncovered_before"] == uncovered  # the sum of the published village cells
        gains = [s["newly_covered"] for s in result["sites"]]
        assert gains and not any(is_small(g) for g in gains)
        assert result["covered_after"] == sum(gains)
    for row in _get(api, "/api/coverage/care/central-support")["rows"]:
        assert not is_small(row["demand_households"])
    assert all(r["households"] is None and r["members"] is None
               for r in _get(api, "/api/coverage/shelters")["rows"])
    # every call that counted households: a table and a suggestion per type, central support, shelters
    assert conn.execute(counted).scalar_one() - before == 2 * len(RADIUS_TYPES) + 2
