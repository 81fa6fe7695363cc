"""Household categories of issue 14 part 12 (低保边缘, 散居/机构孤儿, 事实无人抚养儿童, 重度残疾) and the
特困 demand counted in 特困 persons (``special_care_persons``), not in household members."""

from __future__ import annotations

from sqlalchemy import text

from layers.households import CHILD_CATEGORIES, HOUSEHOLD_CATEGORIES
from tests.utils.coverage import TOWNSHIP, VILLAGE, add_household, lonlat, make_units

NEW_LABELS = {"dibao_marginal": "低保边缘家庭", "orphan": "散居孤儿", "orphan_institutional": "机构孤儿",
              "de_facto_unsupported_child": "事实无人抚养儿童", "severely_disabled": "重度残疾（一、二级）"}
NEW_CHILD = ("orphan_institutional", "de_facto_unsupported_child")


def _point(dx: float, dy: float) -> dict:
    return {"type": "Point", "coordinates": list(lonlat(dx, dy))}


def _post(api, dx: float, **properties):
    return api.post("/api/layers/households/features", json={
        "type": "Feature", "geometry": _point(dx, 0), "properties": {"head_name": "王五", **properties}})


def test_new_categories_are_accepted_and_labelled_in_chinese(conn, client_as):
    make_units(conn)
    api = client_as("case_worker")
    described = api.get("/api/layers/households").json()
    choices = next(f for f in described["fields"] if f["name"] == "categories")["choices"]
    assert {code: choices[code] for code in NEW_LABELS} == NEW_LABELS
    label = next(f for f in described["fields"] if f["name"] == "special_care_persons")
    assert (label["label"], label["unit"]) == ("特困人员数", "人")
    for i, code in enumerate(NEW_LABELS):
        response = _post(api, 100 * i, categories=[code], members=2, village_code=VILLAGE)
        assert response.status_code == 201, response.text
        assert response.json()["properties"]["categories"] == [code]
    refused = _post(api, 900, categories=["orphan_scattered"], village_code=VILLAGE)
    assert refused.status_code == 422
    assert "救助类别（categories）取值不在允许范围内" in refused.json()["message"]
    assert "orphan_institutional（机构孤儿）" in refused.json()["message"]


def test_special_care_persons_is_bounded(conn, client_as):
    make_units(conn)
    api = client_as("case_worker")
    for bad, words in ((-1, "应不小于 0"), (51, "应不大于 50"), ("1", "应为整数")):
        response = _post(api, 0, categories=["tekun_central"], members=4, special_care_persons=bad)
        assert response.status_code == 422, (bad, response.text)
        assert f"特困人员数（special_care_persons）{words}" in response.json()["message"]
    assert conn.execute(text("SELECT count(*) FROM households")).scalar_one() == 0


def test_new_child_categories_are_kept_off_shared_maps(conn, client_as):
    assert set(NEW_CHILD) | {"orphan"} <= set(CHILD_CATEGORIES) <= set(HOUSEHOLD_CATEGORIES)
    make_units(conn)
    add_household(conn, 0, 0, categories=("dibao",))
    for i, code in enumerate(NEW_CHILD):  # the flag left unticked: the category alone keeps them off
        add_household(conn, 100 * (i + 1), 0, categories=(code,))
    add_household(conn, 400, 0, categories=("dibao_marginal", "severely_disabled"))  # not a child's category
    matched = {role: client_as(role).get("/api/layers/households/features").json().get("numberMatched")
               for role in ("admin", "case_worker")}
    assert matched == {"admin": None, "case_worker": 4}  # an admin alone reads no household (issue 14)


def test_central_support_demand_counts_special_care_persons_not_members(conn, client_as):
    make_units(conn)
    api = client_as("case_worker")
    response = _post(api, 0, categories=["tekun_central"], members=4, special_care_persons=1,
                     village_code=VILLAGE)
    assert response.status_code == 201, response.text

    def township() -> dict:
        rows = api.get("/api/coverage/care/central-support").json()["rows"]
        return next(r for r in rows if r["code"] == TOWNSHIP)

    row = township()
    assert (row["demand_households"], row["demand_persons"], row["balance"]) == (1, 1, -1)
    add_household(conn, 100, 0, categories=("tekun_central",), members=3)  # not filled in: 1 person
    couple = add_household(conn, 200, 0, categories=("tekun_central",), members=2)
    conn.execute(text("UPDATE households SET special_care_persons = 2 WHERE id = :id"), {"id": couple})
    add_household(conn, 300, 0, categories=("tekun_dispersed",), members=5)  # not 集中供养: not demand
    row = township()
    assert (row["demand_households"], row["demand_persons"], row["balance"]) == (3, 4, -4)
    # a role that may not read households still sees the cell suppressed (1–4 households)
    hidden = next(r for r in client_as("viewer").get("/api/coverage/care/central-support").json()["rows"]
                  if r["code"] == TOWNSHIP)
    assert hidden["suppressed"] is True and hidden["demand_persons"] is None
