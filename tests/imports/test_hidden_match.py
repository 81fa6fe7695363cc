"""The dry run's guard for a key held by a record the importer may not see.

No role today writes a layer with hidden rows while unable to see them (households: only the case office
writes them, and it sees every household), so no request reaches this path; it guards a layer declared
otherwise. Replayed here on the dry run itself, with an actor that may not see children's households.
"""

from __future__ import annotations

from layers.catalog import registry
from layers.imports.check import Uniqueness, dry_run
from layers.imports.source import SourceFile, SourceRow
from layers.privacy import PersonalDataCipher
from layers.roles import Actor
from tests.imports.conftest import checked
from tests.imports.corpus import HOUSEHOLD_HEADER, HOUSEHOLDS


def test_a_key_held_by_a_hidden_record_is_refused_in_the_words_of_the_write_path(
        client_as, conn, settings, corpus, places) -> None:
    worker = client_as("case_worker")
    worker.post(f"/api/layers/households/imports/{checked(worker, 'households', corpus['households.csv'])['id']}"
                "/commit")
    # the second household becomes a child's: hidden from whoever may not reveal households
    listed = worker.get("/api/layers/households/features", params={"members": "1"}).json()["features"]
    feature_id = listed[0]["id"]
    version = worker.get(f"/api/layers/households/features/{feature_id}").json()["properties"]["version"]
    response = worker.patch(f"/api/layers/households/features/{feature_id}", headers={"If-Match": str(version)},
                            json={"properties": {"has_child_under_14": True}})
    assert response.status_code == 200, response.text

    spec = registry().get("households")
    assert spec is not None
    rows = [SourceRow(n, dict(zip(HOUSEHOLD_HEADER, row, strict=True))) for n, row in enumerate(HOUSEHOLDS, start=2)]
    hits: list[int] = []
    run = dry_run(conn, spec, SourceFile("CSV", HOUSEHOLD_HEADER, rows), actor=Actor("outsider", frozenset({"viewer"})),
                  cipher=PersonalDataCipher(settings.data_key), uniqueness=Uniqueness(lambda: None, hits.append))
    assert run.problems == [{"row": 3, "field": "身份证号码",
                             "message": "困难群众户中已有相同身份证号码的在册记录（您无权查看），不能导入此行"}]
    assert [(p.number, p.action) for p in run.planned] == [(2, "unchanged"), (4, "unchanged")]
    assert hits == [1]  # counted as a duplicate hit on a hidden record (the account's limit)
