"""The set-based commit: it writes the dry run's checked rows (the file is not read again) after
re-checking, in its own transaction, what may have changed since the dry run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from layers.imports import runner, source
from tests.imports.conftest import checked, problems
from tests.imports.corpus import VILLAGE


def runner_spec(name: str) -> Any:
    from layers.catalog import registry
    return registry().get(name)


def _commit(client: Any, body: dict[str, Any]) -> Any:
    return client.post(f"/api/layers/households/imports/{body['id']}/commit")


def test_the_commit_does_not_read_the_file_again(client_as, conn, settings, corpus, places, monkeypatch) -> None:
    from layers.imports import staged, state
    from layers.privacy import PersonalDataCipher

    worker = client_as("case_worker")
    body = checked(worker, "households", corpus["households.csv"])
    # kept for the commit: the checked rows (encrypted), not the file
    kept = state.content_of(conn, body["id"], PersonalDataCipher(settings.data_key))
    assert kept != corpus["households.csv"].read_bytes()
    assert [p.number for p in staged.load(runner_spec("households"), kept)] == [2, 3, 4]

    def refuse(*args, **kwargs):
        raise AssertionError("the commit read the file again")
    monkeypatch.setattr(source, "read_source", refuse)
    monkeypatch.setattr(runner, "read_source", refuse)
    response = _commit(worker, body)
    assert response.status_code == 200, response.text
    assert response.json()["result"] == {"insert": 3, "update": 0, "unchanged": 0}


def test_rows_written_since_the_dry_run_are_matched_again(client_as, corpus, places) -> None:
    worker = client_as("case_worker")
    first = checked(worker, "households", corpus["households.csv"])
    second = checked(worker, "households", corpus["households.csv"])
    assert _commit(worker, second).json()["result"] == {"insert": 3, "update": 0, "unchanged": 0}
    # the first dry run planned 3 inserts: re-checked, the same households are now there, unchanged
    assert _commit(worker, first).json()["result"] == {"insert": 0, "update": 0, "unchanged": 3}
    assert worker.get("/api/layers/households/features").json()["numberMatched"] == 3


def test_a_village_retired_since_the_dry_run_refuses_the_file_and_stores_nothing(
        client_as, conn, corpus, places) -> None:
    worker = client_as("case_worker")
    body = checked(worker, "households", corpus["households.csv"])
    assert body["report"]["ok"]
    conn.execute(text("UPDATE villages SET retired_at = now() WHERE code = :c"), {"c": VILLAGE[0]})
    response = _commit(worker, body)
    assert response.status_code == 422, response.text
    assert response.json()["message"] == "数据在检查之后发生了变化，重新检查发现问题：请查看报告并重新上传"
    report = worker.get(f"/api/layers/households/imports/{body['id']}").json()
    assert report["status"] == "failed"
    assert problems(report) == [(row, "所在村代码", f"所在村代码“{VILLAGE[0]}”已不是在册的区划代码")
                                for row in (2, 3, 4)]
    assert conn.execute(text("SELECT count(*) FROM households")).scalar() == 0
    assert conn.execute(text("SELECT count(*) FROM feature_history WHERE layer = 'households'")).scalar() == 0


def test_the_checked_rows_come_back_typed() -> None:
    from datetime import date

    import shapely

    from layers.imports import staged
    from layers.imports.check import Planned
    from layers.registry import FieldSpec

    spec = type("Spec", (), {"all_fields": (FieldSpec(name="surveyed_on", label="日", type="date"),),
                             "input_fields": (), "natural_key": ("surveyed_on",)})()
    rows = [Planned(7, {"surveyed_on": date(2026, 12, 4)}, shapely.Point(122.7, 40.8), (date(2026, 12, 4),))]
    back = staged.load(spec, staged.dump(rows))  # type: ignore[arg-type]
    assert [(p.number, p.properties, p.key, p.geom.wkt) for p in back] == [
        (7, {"surveyed_on": date(2026, 12, 4)}, (date(2026, 12, 4),), "POINT (122.7 40.8)")]


def test_new_rows_are_copied_into_the_table_in_order_and_a_taken_key_refuses_them_all(conn) -> None:
    """New rows go straight into the layer's table by COPY: ids in the file's order, history in the writer's name;
    a key the database already holds refuses the batch as SQLAlchemy's IntegrityError (the service's 409)."""
    import pytest
    import shapely
    from sqlalchemy.exc import IntegrityError

    from layers.batch_write import BatchRow, write_features
    from layers.roles import Actor

    spec = runner_spec("households")
    actor = Actor("导入员", frozenset({"case_worker"}))

    def household(i: int) -> BatchRow:
        return BatchRow({"head_name": f"户主{i}", "categories": ["dibao"], "members": i, "has_child_under_14": False,
                         "id_number_hash": f"{i:064d}"}, shapely.Point(float(f"122.7{i}"), 40.85))

    assert write_features(conn, spec, [household(i) for i in (1, 2, 3)], actor, "测试", source="import") == {
        "insert": 3, "update": 0}
    written = conn.execute(text("SELECT head_name, members, source, ST_AsText(geom) FROM households ORDER BY id"))
    assert written.all() == [
        ("户主1", 1, "import", "POINT(122.71 40.85)"), ("户主2", 2, "import", "POINT(122.72 40.85)"),
        ("户主3", 3, "import", "POINT(122.73 40.85)")]
    assert conn.execute(text("SELECT count(*), min(changed_by), min(reason) FROM feature_history "
                             "WHERE layer = 'households'")).one() == (3, "导入员", "测试")
    with pytest.raises(IntegrityError) as refused:
        write_features(conn, spec, [household(4), household(2)], actor, "测试", source="import")
    assert refused.value.orig.diag.constraint_name == "ix_households_id_number_hash"  # type: ignore[union-attr]
