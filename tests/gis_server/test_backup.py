"""Backup → wipe → restore → compare: rows, history, the audit log, encrypted ID numbers and photos come
back as they were; a corrupt archive, another schema version or a database that is not empty is refused."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gis_server.accounts.service import create_user
from gis_server.app import create_app
from gis_server.backup import MANIFEST, backup, prune, restore
from gis_server.cluster import EXTENSIONS
from gis_server.db import libpq_url
from gis_server.db_roles import provision
from gis_server.settings import Settings
from layers.errors import Conflict, InvalidInput
from tests.conftest import PASSWORD, bearer
from tests.utils.database import ROLES, committed_database, urls_of
from tests.utils.features import feature, point, shelter

ID = "21038119800101101X"
KEY = "backup-test-personal-data-key-0123456789"
PHOTO = "photos/ab/ab12cd.jpg"
FINGERPRINTS = {  # the whole content of the tables that must come back unchanged
    table: f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t"
    for table in ("audit_log", "feature_history", "households", "shelters", "users")
}


def _fingerprints(url: str) -> dict[str, tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {table: tuple(conn.execute(text(query)).one()) for table, query in FINGERPRINTS.items()}
    engine.dispose()
    return found


def _wipe(urls, name: str) -> None:
    """Drop the database and make it again, empty (roles, extensions, grants), as ``db up`` would."""
    with psycopg.connect(libpq_url(urls.on("postgres").admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    passwords = {ROLES.owner: make_url(urls.owner).password, ROLES.app: make_url(urls.app).password}
    provision(lambda database: psycopg.connect(libpq_url(urls.on(database).admin), autocommit=True), name, ROLES,
              passwords, EXTENSIONS)


@pytest.fixture
def saved(database_url: str, tmp_path: Path):
    """A committed database with a household (encrypted ID, edited once, revealed), a shelter and a photo."""
    with committed_database(database_url, "gis_backup") as app_url:
        urls = urls_of(app_url)
        engine = create_engine(urls.owner)
        with engine.begin() as conn:
            for role in ("admin", "case_worker"):
                create_user(conn, role, PASSWORD, [role])
        engine.dispose()
        settings = Settings(environment="test", database_url=app_url, personal_data_key=KEY,
                            data_dir=tmp_path / "data", _env_file=None)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            client.headers.update(bearer(settings, "case_worker"))
            body = feature(point(), head_name="张三丰", categories=["dibao"], phone="13812345678", id_number=ID)
            created = client.post("/api/layers/households/features", json=body).json()
            client.patch(f"/api/layers/households/features/{created['id']}", json={"properties": {"members": 3}},
                         headers={"If-Match": '"1"'})
            client.get(f"/api/layers/households/features/{created['id']}", params={"reveal": "true"})
            client.headers.update(bearer(settings, "admin"))
            shelter(client)
        photo = settings.data_dir / PHOTO
        photo.parent.mkdir(parents=True)
        photo.write_bytes(b"\xff\xd8 a photo \xff\xd9")
        yield settings, urls, created["id"]


def test_backup_wipe_restore_gives_back_everything(saved, tmp_path: Path):
    settings, urls, household_id = saved
    before = _fingerprints(urls.owner)
    assert before["feature_history"][0] >= 1 and before["audit_log"][0] >= 3
    archive = backup(urls.owner, settings.data_dir, tmp_path / "backups", echo=lambda _: None)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
    assert manifest["tables"]["households"] == 1 and manifest["tables"]["shelters"] == 1
    assert set(manifest["files"]) == {"database.dump", f"files/{PHOTO}"}
    assert archive.stat().st_mode & 0o777 == 0o600  # personal data: the service's user only

    _wipe(urls, "gis_backup")
    restored_data = tmp_path / "restored-data"
    counts = restore(urls.owner, restored_data, archive, echo=lambda _: None)

    assert counts == manifest["tables"]
    assert _fingerprints(urls.owner) == before
    assert (restored_data / PHOTO).read_bytes() == b"\xff\xd8 a photo \xff\xd9"
    # the service runs on the restored database as before: the app role's grants came back, and the
    # ID number decrypts with the same key
    settings.data_dir = restored_data
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers.update(bearer(settings, "case_worker"))
        revealed = client.get(f"/api/layers/households/features/{household_id}", params={"reveal": "true"})
        assert revealed.status_code == 200, revealed.text
        assert revealed.json()["properties"]["id_number"] == ID
        assert revealed.json()["properties"]["members"] == 3

    # a second restore finds the database in use and changes nothing
    with pytest.raises(Conflict) as refused:
        restore(urls.owner, restored_data, archive, echo=lambda _: None)
    assert refused.value.message.startswith("目标数据库不是空的")
    assert _fingerprints(urls.owner)["audit_log"][0] > before["audit_log"][0]  # only the reveal above


def _rewritten(archive: Path, target: Path, change) -> Path:  # noqa: ANN001
    """A copy of ``archive`` with its members passed through ``change(name, data) -> (name, data)``."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for member in source.getmembers():
            name, data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def test_corrupt_or_foreign_archives_are_refused_and_change_nothing(saved, tmp_path: Path):
    settings, urls, _ = saved
    archive = backup(urls.owner, settings.data_dir, tmp_path / "backups", echo=lambda _: None)
    _wipe(urls, "gis_backup")

    def flip_a_byte(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "database.dump":
            data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
        return name, data

    def other_version(name: str, data: bytes) -> tuple[str, bytes]:
        if name == MANIFEST:
            data = json.dumps({**json.loads(data), "schema_revision": "0009"}).encode()
        return name, data

    def escape(name: str, data: bytes) -> tuple[str, bytes]:
        return ("../../outside.txt" if name.startswith("files/") else name), data

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    cases = {
        truncated: "备份文件已损坏或不完整",
        _rewritten(archive, tmp_path / "flipped.tar", flip_a_byte): "备份文件已损坏或不完整",
        _rewritten(archive, tmp_path / "escape.tar", escape): "备份文件已损坏或不完整",
        _rewritten(archive, tmp_path / "version.tar", other_version): "备份的数据库结构版本为 0009",
    }
    for bad, message in cases.items():
        with pytest.raises(InvalidInput) as refused:
            restore(urls.owner, tmp_path / "restored", bad, echo=lambda _: None)
        assert refused.value.message.startswith(message), (bad.name, refused.value.message)
    with psycopg.connect(libpq_url(urls.owner)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> 'spatial_ref_sys'").fetchone() == (0,)
    assert not (tmp_path / "restored").exists() and not (tmp_path.parent / "outside.txt").exists()


def test_old_archives_beyond_the_retention_count_are_deleted(tmp_path: Path):
    names = [f"haicheng-gis-2026120{day}T020000Z.tar" for day in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("kept")
    deleted = prune(tmp_path, keep=2)
    assert [p.name for p in deleted] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [*names[3:], "notes.txt"]
