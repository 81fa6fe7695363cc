"""Reads on a real streaming replica (issue 18 item 6): ``GIS_DATABASE_READ_URL`` sends read-only work to
a replica made with ``pg_basebackup``; writes go to the primary, and a user reads their own writes at once
even while the replica lags; when the replica is down, reads fall back to the primary."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import create_engine

from gis_server.accounts.service import create_user
from gis_server.app import create_app
from gis_server.cluster import Cluster
from gis_server.db import libpq_url
from gis_server.migrate import upgrade
from gis_server.settings import Settings
from tests.conftest import PASSWORD
from tests.utils.database import ROLES, free_port
from tests.utils.live_server import serving

REPLICATION_HBA = "host replication postgres 127.0.0.1/32 scram-sha-256\n"


def _replica_of(primary: Cluster) -> Cluster:
    """A hot standby of ``primary`` (pg_basebackup, streaming WAL, standby.signal), started."""
    with (primary.pgdata / "pg_hba.conf").open("a") as hba:
        hba.write(REPLICATION_HBA)
    with psycopg.connect(libpq_url(primary.admin_url), autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")
    # beside the primary's data: a folder the postgres user may write (Cluster.for_data_dir chose it)
    replica = Cluster(pgdata=primary.pgdata.parent / "replica-pgdata", port=free_port(), dbname=primary.dbname,
                      fast_unsafe=True, roles=ROLES, passwords_file=primary.passwords_file)
    source = f"host=127.0.0.1 port={primary.port} user=postgres password={primary.passwords()['postgres']}"
    made = replica._run(["pg_basebackup", "-D", str(replica.pgdata), "-d", source, "-X", "stream", "-R",
                         "--checkpoint=fast"])
    assert made.returncode == 0, made.stderr
    replica.start()
    return replica


def _names(client: httpx.Client, base: str, headers: dict[str, str]) -> set[str]:
    answer = client.get(f"{base}/api/siting/rule-sets", headers=headers)
    assert answer.status_code == 200, answer.text
    return {r["name"] for r in answer.json()}


def test_reads_go_to_the_replica_and_each_user_reads_their_own_writes(tmp_path: Path):
    os.chmod(tmp_path, 0o755)
    (tmp_path / "primary").mkdir()
    os.chmod(tmp_path / "primary", 0o755)
    primary = Cluster.for_data_dir(tmp_path / "primary", free_port(), "gis_replica", fast_unsafe=True, roles=ROLES)
    primary.up()
    replica = None
    try:
        upgrade(primary.owner_url, roles=ROLES)
        engine = create_engine(primary.owner_url)
        with engine.begin() as conn:
            create_user(conn, "planner", PASSWORD, ["funeral_planner"])
            create_user(conn, "viewer", PASSWORD, ["viewer"])
        engine.dispose()
        replica = _replica_of(primary)
        replica_app_url = replica.url_for(ROLES.app)
        settings = Settings(environment="test", database_url=primary.app_url, database_read_url=replica_app_url,
                            read_after_write_seconds=30, data_dir=tmp_path / "data", _env_file=None)
        with serving(create_app(settings)) as base, httpx.Client(timeout=30) as client:
            def sign_in(user: str) -> dict[str, str]:
                token = client.post(f"{base}/api/auth/token", data={"username": user, "password": PASSWORD})
                assert token.status_code == 200, token.text  # sign-in writes (audit): on the primary
                return {"Authorization": "Bearer " + token.json()["access_token"]}

            planner, viewer = sign_in("planner"), sign_in("viewer")
            default = next(iter(_names(client, base, viewer)))
            with psycopg.connect(libpq_url(replica.admin_url), autocommit=True) as standby:
                assert standby.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
                standby.execute("SELECT pg_wal_replay_pause()")  # the replica lags from here on
                default_id = client.get(f"{base}/api/siting/rule-sets", headers=viewer).json()[0]["id"]
                made = client.post(f"{base}/api/siting/rule-sets", headers=planner,
                                   json={"name": "滞后测试规则集", "copy_of": default_id})
                assert made.status_code == 201, made.text  # the write went to the primary
                # the writer reads their own write at once; another user reads the lagging replica
                assert "滞后测试规则集" in _names(client, base, planner)
                assert _names(client, base, viewer) == {default}
                standby.execute("SELECT pg_wal_replay_resume()")
                standby.execute("SELECT pg_sleep(0.5)")
            assert "滞后测试规则集" in _names(client, base, viewer)  # caught up
            replica.down()  # the replica goes away: reads fall back to the primary, no error
            assert "滞后测试规则集" in _names(client, base, viewer)
    finally:
        if replica is not None:
            replica.destroy()
        primary.destroy()
