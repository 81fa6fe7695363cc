"""Households' ID numbers in an import: checked by the dry run row by row (as the write will check them),
normalised ("x" is "X"), hashed once and the hashes carried to the commit with the checked rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from layers.privacy import PersonalDataCipher, id_check_character
from tests.imports.conftest import checked, problems
from tests.imports.corpus import HOUSEHOLD_HEADER, csv_text, id_number


def _with_x() -> str:
    """A fictitious number whose check character is X."""
    return next(number for number in map(id_number, range(1, 100)) if number.endswith("X"))


def _roster(folder: Path, numbers: list[str]) -> Path:
    rows = [(f"户主{i}", number, "低保", 2, "东关村", 122.701 + i / 1000, 40.851) for i, number in enumerate(numbers)]
    path = folder / "困难群众户.csv"
    path.write_text(csv_text(HOUSEHOLD_HEADER, rows), encoding="utf-8")
    return path


def _commit(client: Any, body: dict[str, Any]) -> Any:
    return client.post(f"/api/layers/households/imports/{body['id']}/commit")


def test_the_dry_run_names_each_wrong_id_number_by_row(client_as, conn, places, tmp_path) -> None:
    x = _with_x()
    wrong_check = id_number(7)[:17] + ("0" if id_number(7)[17] != "0" else "1")
    bad_date = "2103811980134" + "0012"
    bad_date += id_check_character(bad_date)
    worker = client_as("case_worker")
    body = checked(worker, "households", _roster(tmp_path, [x, x.lower(), wrong_check, bad_date, "21038119800101"]))
    assert problems(body) == [
        (3, "身份证号码", "身份证号码与第 2 行相同：同一文件中不能重复"),
        (4, "身份证号码", f"身份证号码校验码错误：最后一位应为 {id_number(7)[17]}，请核对号码"),
        (5, "身份证号码", "身份证号码中的出生日期 19801340 无效"),
        (6, "身份证号码", "身份证号码应为 18 位：前 17 位为数字，最后一位为数字或 X"),
    ]
    assert body["report"]["counts"]["problem_rows"] == 4 and not body["report"]["ok"]
    assert _commit(worker, body).status_code == 422
    assert conn.execute(text("SELECT count(*) FROM households")).scalar() == 0


def test_a_lower_case_x_is_the_same_household_on_the_second_import(client_as, conn, settings, places,
                                                                   tmp_path) -> None:
    x = _with_x()
    roster = _roster(tmp_path, [x.lower(), id_number(2)])
    worker = client_as("case_worker")
    first = checked(worker, "households", roster)
    assert first["report"]["counts"]["insert"] == 2
    assert _commit(worker, first).json()["result"] == {"insert": 2, "update": 0, "unchanged": 0}
    second = checked(worker, "households", roster)
    assert second["report"]["counts"] | {"problems": 0} == {
        "rows": 2, "problem_rows": 0, "problems": 0, "insert": 0, "update": 0, "unchanged": 2}
    assert _commit(worker, second).json()["result"] == {"insert": 0, "update": 0, "unchanged": 2}
    cipher = PersonalDataCipher(settings.data_key)
    stored = conn.execute(text("SELECT id_number_hash, id_number_masked FROM households "
                               "WHERE head_name = '户主0'")).one()
    assert tuple(stored) == (cipher.match_hash(x), x[:6] + "********" + x[-4:])


def test_the_checked_rows_carry_the_hashes_the_dry_run_looked_up(client_as, conn, settings, places,
                                                                 tmp_path) -> None:
    from layers.catalog import registry
    from layers.imports import staged, state

    numbers = [id_number(1), id_number(2), id_number(3)]
    worker = client_as("case_worker")
    body = checked(worker, "households", _roster(tmp_path, numbers))
    cipher = PersonalDataCipher(settings.data_key)
    kept = staged.load(registry().get("households"), state.content_of(conn, body["id"], cipher))
    assert [(p.number, p.checked) for p in kept] == [(n, (cipher.match_hash(v),)) for n, v in zip((2, 3, 4), numbers,
                                                                                                 strict=True)]
