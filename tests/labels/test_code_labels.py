"""Issue 16 item 3: codes reach people only beside their names. The layer description carries the names of
village codes and place-name class codes (the pages show 名称（代码）); accounts named after a role are shown
by the role's title (layers/labels.py)."""

from __future__ import annotations

from tests.utils.features import create, point, square

VILLAGE = "210381190201"


def test_description_names_class_and_village_codes(client):
    township = client.get("/api/layers/townships/features?limit=1").json()["features"]
    township_code = township[0]["properties"]["code"] if township else create(
        client, "townships", square(122.70, 40.80, 0.05), code="210381190", name="测试镇")["properties"]["code"]
    create(client, "villages", square(122.71, 40.81, 0.01), code=VILLAGE, name="测试村", township_code=township_code)
    fields = {f["name"]: f for f in client.get("/api/layers/place_names").json()["fields"]}
    assert fields["class_code"]["labels"]["06100"] == "自然村"
    assert fields["village_code"]["labels"][VILLAGE] == "测试村"
    named = {t["properties"]["code"]: t["properties"]["name"] for t in client.get(
        "/api/layers/townships/features?limit=500").json()["features"]}
    assert fields["township_code"]["labels"] == named  # one description names every township (no request per code)
    assert fields["name"]["labels"] is None  # plain text has nothing to name
    households = {f["name"]: f for f in client.get("/api/layers/households").json()["fields"]}
    assert households["village_code"]["labels"][VILLAGE] == "测试村"


def test_a_role_without_read_gets_no_names(client_as):
    fields = client_as("viewer").get("/api/layers/households").json()["fields"]
    assert all(f["labels"] is None for f in fields)



def test_a_role_named_account_is_named_by_its_title_in_a_history(client_as):
    """Issue 16 item 3: the record pages' history named the demo and test accounts by their code."""
    planner = client_as("funeral_planner")
    grave = create(planner, "scattered_graves", point(), status="to_move")
    versions = planner.get(f"/api/layers/scattered_graves/features/{grave['id']}/history").json()["versions"]
    assert [(v["changed_by"], v["changed_by_title"]) for v in versions] == [("funeral_planner", "殡葬规划账号")]
