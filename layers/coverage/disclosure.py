"""Disclosure control: the one rule every count derived from households follows (issue 13).

Households are sensitive personal information (《个人信息保护法》 Art. 28: assistance status, location,
everything about children under 14). Roles that may not read the households layer ("restricted":
place-names editors, funeral planners, boundary surveyors, viewers) may still read counts; those
counts must not let them learn anything finer than the published village counts. Art. 51(三) asks
for de-identification (去标识化) among the security measures; suppressing small cells and
aggregating are the statistical de-identification techniques GB/T 37964-2019 (个人信息去标识化指南)
describes. The threshold of 5 households is a local parameter (the project's published rule, see the
README "Personal data"; no law fixes a number).

Who counts what:

- Every role counts only the household rows it may list (``layers.privacy.visible_rows_sql``):
  households with a child under 14 are shown to the case office only, so an admin's and every
  restricted role's counts leave them out — an analysis never tells a role more than its list would.
- Roles that may read households get exact counts of those rows.
- Restricted roles get the *published cells* and functions of them, nothing else:

  1. A published cell is a count of one village: its households (all categories), and for one
     facility type at its policy radii by straight line, the covered and uncovered households.
     A cell of 1–4 is suppressed. In a village row households = covered + uncovered, so when
     covered or uncovered is 1–4 both are suppressed (complementary suppression: the other one
     would be the difference), the rate with them; households 1–4 suppresses the whole row.
  2. Larger areas (township, county) are sums of the published village cells — never counted from
     the rows — so "a township minus its villages" is always 0: a suppressed village adds nothing,
     and the row says how many villages were left out (``villages_suppressed``). Suggested sites
     weigh villages by their published uncovered cell (``layers.coverage.suggest``).
  3. No two selections whose households nest: restricted roles may not choose household categories
     ("all categories" minus "all but one" would be a new cell), several facility types at once
     (A∪B minus A) or the road-network method (at the same radius it covers a subset of the
     straight line, and the difference would be a new cell). :func:`require_published` says so (403).
     Two single types nest only where their facilities happen to be placed so; the differencing
     test (``tests/security/test_differencing.py``) checks the demo data for it against the true sets.
  4. One more table: 特困集中供养 demand per township (``care``); its cell and its complement in the
     township's households are suppressed when 1–4. No other published table nests with it.

  Not published to restricted roles: household counts of a shelter's service area (a circle,
  not a village: a circle inside one village minus that village would be a new cell); they see the
  population estimate from village populations instead (``shelters``).

  Every endpoint a restricted role reaches that reports anything derived from households:
  ``GET /api/layers/households/summary`` (village cells; townships summed), ``GET /api/coverage``
  (village cells; townships and county summed), ``/api/coverage/choropleth`` (village cells),
  ``/api/coverage/export`` (both sheets as the API), ``POST /api/coverage/suggest`` (published
  cells, village centres, policy radius), ``/api/coverage/care/central-support`` (rule 4),
  ``/api/coverage/shelters`` (no household counts). ``GET /api/layers`` gives them no household
  count; household lists, exports, single records, history, tiles (``/tiles/households/…``) and
  ``/api/coverage/uncovered[/export]`` are 403. Service areas, shelter gaps, care occupancy and
  child-welfare gaps use facilities and village populations only; the pages carry no data.

  What this rule does not cover: the same cell read before and after an edit (a household added,
  a facility moved by the case office) differs by the change; edits are audited, not suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from layers.coverage.selection import Selection
from layers.errors import Forbidden
from layers.households import HOUSEHOLDS
from layers.privacy import visible_rows_sql
from layers.registry import LayerSpec
from layers.roles import Actor

SUPPRESS_BELOW = 5  # local parameter: cells of 1..4 households are not shown to restricted roles
RESTRICTED_NOTE = f"小于 {SUPPRESS_BELOW} 户的格子不显示；乡镇和全市合计为公布的村格子之和"


def households_spec() -> LayerSpec:
    return HOUSEHOLDS


def is_small(value: int | None) -> bool:
    """A count of 1–4: it would single out households.

    >>> [is_small(n) for n in (0, 1, 4, 5, None)]
    [False, True, True, False, False]
    """
    return value is not None and 0 < value < SUPPRESS_BELOW


@dataclass(frozen=True)
class Audience:
    """Who asks: whether the published cells are all they may see, and which rows they may count."""

    actor: Actor
    restricted: bool

    @classmethod
    def of(cls, actor: Actor) -> Audience:
        return cls(actor, not households_spec().can_read(actor.roles))

    def row_filter(self, alias: str = "h") -> str:
        """The SQL condition on ``alias`` (a households row) limiting what this audience counts."""
        condition = visible_rows_sql(households_spec(), self.actor, alias)
        return f"({condition})" if condition else "true"


def require_published(restricted: bool, sel: Selection) -> None:
    """Restricted roles may ask only selections whose cells never nest (rule 3 above)."""
    if not restricted:
        return
    if sel.categories:
        raise Forbidden("按救助类别统计仅限有权查看困难群众户的角色；您可查看全部困难群众户的统计",
                        "household categories are for roles that may read households", field="category")
    if len(sel.facility_types) != 1:
        raise Forbidden("一次只能统计一种设施类型（多种类型相减会暴露小于 5 户的格子）",
                        "one facility type at a time for restricted roles", field="facility_type")
    if sel.method != "euclidean":
        raise Forbidden("路网覆盖统计仅限有权查看困难群众户的角色；您可查看直线距离覆盖",
                        "network coverage is for roles that may read households", field="method")


def village_cell(row: dict[str, Any], restricted: bool) -> dict[str, Any]:
    """One village (or an exact aggregate) row: adds uncovered and rate when it has ``covered``;
    for restricted roles suppresses 1–4 and its complement (rule 1).

    >>> village_cell({"households": 7, "covered": 3}, True)
    {'households': 7, 'covered': None, 'suppressed': True, 'uncovered': None, 'rate': None}
    >>> village_cell({"households": 3}, True)
    {'households': None, 'suppressed': True}
    >>> village_cell({"households": 3, "covered": 3}, False)["rate"]
    1.0
    """
    out = {**row, "suppressed": False}
    counts = [row["households"]]
    if "covered" in row:
        households, covered = row["households"], row["covered"]
        out.update(uncovered=households - covered, rate=round(covered / households, 4) if households else None)
        counts += [covered, households - covered]
    if restricted and any(is_small(n) for n in counts):
        out["suppressed"] = True
        if "covered" in row:
            out.update(covered=None, uncovered=None, rate=None)
        if is_small(row["households"]):
            out["households"] = None
    return out


def sum_published(rows: Iterable[dict[str, Any]], base: dict[str, Any], coverage: bool | None = None) -> dict[str, Any]:
    """An area's row as the sum of its published village rows (rule 2); ``base`` gives code and name.

    >>> row = sum_published([{"households": 9, "covered": 4, "uncovered": 5, "suppressed": False},
    ...                      {"households": 6, "covered": None, "uncovered": None, "suppressed": True}], {"code": "1"})
    >>> [row[k] for k in ("households", "villages", "villages_suppressed", "covered", "uncovered", "rate")]
    [15, 2, 1, 4, 5, 0.4444]
    """
    rows = list(rows)
    coverage = any("covered" in r for r in rows) if coverage is None else coverage
    out = {**base, "households": sum(r["households"] or 0 for r in rows), "villages": len(rows),
           "villages_suppressed": sum(1 for r in rows if r["suppressed"])}
    if coverage:
        published = [r for r in rows if r.get("covered") is not None]
        covered = sum(r["covered"] for r in published)
        uncovered = sum(r["uncovered"] for r in published)
        out.update(covered=covered, uncovered=uncovered,
                   rate=round(covered / (covered + uncovered), 4) if covered + uncovered else None)
    out["suppressed"] = False
    return out


def roll_up(village_rows: list[dict[str, Any]], areas: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Each of ``areas`` (code, name) as the sum of the published village rows whose ``key`` is its code."""
    by_area: dict[str, list[dict[str, Any]]] = {}
    for row in village_rows:
        by_area.setdefault(row[key], []).append(row)
    coverage = any("covered" in r for r in village_rows)
    return [sum_published(by_area.get(area["code"], []), area, coverage) for area in areas]


def part_of_whole(part: int, whole: int, restricted: bool) -> bool:
    """Whether a count of a subset must be suppressed: it, or what is left of the whole, is 1–4.

    >>> part_of_whole(12, 14, True), part_of_whole(12, 20, True), part_of_whole(3, 20, False)
    (True, False, False)
    """
    return restricted and (is_small(part) or is_small(whole - part))
