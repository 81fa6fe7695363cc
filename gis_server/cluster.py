"""The embedded PostgreSQL + PostGIS cluster used when no database URL is configured.

The cluster lives in a data folder of the project and listens on 127.0.0.1 only (no Unix socket,
so long paths cannot break it). Every login needs a password (scram-sha-256): the superuser's, the
schema owner's and the service's are generated on the first ``up`` and kept in ``db-passwords.json``
(mode 0600) in the data folder; the service connects as the app role, which owns nothing
(``gis_server/db_roles.py``). As root, the server binaries run as the ``postgres`` user, since
``initdb`` refuses to run as root.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from gis_server.db_roles import DatabaseRoles, provision

SUPERUSER = "postgres"
# Only password logins over TCP on 127.0.0.1: "trust" (initdb's default here) would let any local
# process sign in as the superuser and undo every grant.
PG_HBA = ("# written by haicheng-gis (gis_server/cluster.py): password logins on 127.0.0.1 only\n"
          "host all all 127.0.0.1/32 scram-sha-256\n")
EXTENSIONS = ("postgis", "pg_trgm")
SERVER_OPTIONS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "jit": "off",  # PostGIS queries cross jit_above_cost and run slower with JIT (ENVIRONMENT.md)
    "max_connections": "100",
}
EMPTY_SHELL_WORD = '""'
FAST_UNSAFE_OPTIONS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class ClusterError(RuntimeError):
    """The embedded cluster cannot be set up; the message says what to do."""


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def find_pg_bindir() -> Path | None:
    """The newest PostgreSQL server bin folder on this machine, or None."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def pg_major(bindir: Path) -> str:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[-1].split(".")[0]


# extension control file → the Debian package that ships it (for the server's major version)
EXTENSION_PACKAGES = {"postgis": "postgresql-{major}-postgis-3", "pgrouting": "postgresql-{major}-pgrouting"}


def extension_installed(bindir: Path, extension: str) -> bool:
    sharedir = subprocess.run(
        [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True
    ).stdout.strip() if (bindir / "pg_config").exists() else f"/usr/share/postgresql/{pg_major(bindir)}"
    return Path(sharedir, "extension", f"{extension}.control").exists()


def postgis_installed(bindir: Path) -> bool:
    return extension_installed(bindir, "postgis")


def ensure_server_software(echo=print) -> Path:
    """Find PostgreSQL, PostGIS and pgRouting, installing them with apt on Debian/Ubuntu as root."""
    bindir = find_pg_bindir()
    major = pg_major(bindir) if bindir else "15"
    packages = ([] if bindir else [f"postgresql-{major}"]) + [
        package.format(major=major) for extension, package in EXTENSION_PACKAGES.items()
        if not (bindir and extension_installed(bindir, extension))
    ]
    if not packages:
        assert bindir is not None
        return bindir
    command = f"apt-get update && apt-get install -y {' '.join(packages)}"
    if not (_is_root() and shutil.which("apt-get")):
        raise ClusterError(f"PostgreSQL/PostGIS is missing. Install it first, e.g.:\n  sudo sh -c '{command}'")
    echo(f"Installing {' '.join(packages)} with apt …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", *packages], check=True, env=env, stdout=subprocess.DEVNULL)
    bindir = find_pg_bindir()
    if bindir is None or not all(extension_installed(bindir, e) for e in EXTENSION_PACKAGES):
        raise ClusterError(f"PostGIS/pgRouting is still missing after apt; run: {command}")
    return bindir


def read_passwords(path: Path) -> dict[str, str]:
    """The embedded cluster's role passwords ({} before the first ``db up``)."""
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return {}


def _postgres_can_reach(path: Path) -> bool:
    probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(path)], capture_output=True)
    return probe.returncode == 0


@dataclass
class Cluster:
    """A private PostgreSQL cluster in ``pgdata`` listening on ``port``."""

    pgdata: Path
    port: int
    dbname: str
    fast_unsafe: bool = False
    bindir: Path | None = None
    echo: object = field(default=print, repr=False)
    roles: DatabaseRoles = field(default_factory=DatabaseRoles)
    passwords_file: Path | None = None  # default: db-passwords.json beside pgdata

    def __post_init__(self) -> None:
        if self.passwords_file is None:
            self.passwords_file = self.pgdata.parent / "db-passwords.json"

    @classmethod
    def for_data_dir(cls, data_dir: Path, port: int, dbname: str, **kw) -> Cluster:
        """The cluster for a project data folder (moved under /var/tmp when root cannot share it)."""
        data_dir = data_dir.resolve()
        pgdata = data_dir / "pgdata"
        if _is_root():
            data_dir.mkdir(parents=True, exist_ok=True)
            if not _postgres_can_reach(data_dir):
                # e.g. a checkout under /root (0700): the postgres user cannot enter it
                digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:10]
                pgdata = Path("/var/tmp") / f"haicheng-gis-{digest}" / "pgdata"
        # the passwords stay in the data folder, where Settings looks for them, even when pgdata moved
        return cls(pgdata=pgdata, port=port, dbname=dbname, passwords_file=data_dir / "db-passwords.json", **kw)

    # -- running commands ---------------------------------------------------------------
    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess[str]:
        if self.bindir is None:
            self.bindir = ensure_server_software(self.echo)
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if _is_root():
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    # -- roles and passwords ----------------------------------------------------------------
    def passwords(self) -> dict[str, str]:
        """The superuser's, owner's and app's passwords, generated (and stored 0600) when missing."""
        assert self.passwords_file is not None  # set in __post_init__
        stored = read_passwords(self.passwords_file)
        wanted = (SUPERUSER, self.roles.owner, self.roles.app)
        if all(stored.get(name) for name in wanted):
            return stored
        stored = {**stored, **{name: secrets.token_urlsafe(24) for name in wanted if not stored.get(name)}}
        self.passwords_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.passwords_file.with_suffix(".tmp")
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(descriptor, "w") as out:
            json.dump(stored, out)
        partial.replace(self.passwords_file)
        return stored

    def url_for(self, role: str) -> str:
        """SQLAlchemy URL of the cluster's database as ``role`` (the superuser, owner or app role)."""
        return URL.create("postgresql+psycopg", username=role, password=self.passwords()[role], host="127.0.0.1",
                          port=self.port, database=self.dbname).render_as_string(hide_password=False)

    @property
    def admin_url(self) -> str:
        """As the superuser: creating databases, tests and benchmarks that need it; never the service."""
        return self.url_for(SUPERUSER)

    @property
    def owner_url(self) -> str:
        """As the schema owner: migrations and demo loads."""
        return self.url_for(self.roles.owner)

    @property
    def app_url(self) -> str:
        """As the service's login role."""
        return self.url_for(self.roles.app)

    def _conninfo(self, dbname: str) -> str:
        return make_conninfo(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=dbname,
                             password=self.passwords()[SUPERUSER], connect_timeout=5)

    # -- state ----------------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._run(["pg_ctl", "-D", str(self.pgdata), "status"]).returncode == 0

    def status(self) -> dict[str, object]:
        return {"pgdata": str(self.pgdata), "port": self.port, "initialised": self.initialised(),
                "running": self.running(), "database": self.dbname}

    # -- lifecycle ------------------------------------------------------------------------
    def init(self) -> None:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if _is_root():
            shutil.chown(self.pgdata.parent, "postgres", "postgres")
        result = self._run(["initdb", "-D", str(self.pgdata), "-U", "postgres", "-A", "trust",
                            "-E", "UTF8", "--locale=C.UTF-8"])
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stderr.strip()}")

    def start(self) -> None:
        options = {**SERVER_OPTIONS, **(FAST_UNSAFE_OPTIONS if self.fast_unsafe else {})}
        # pg_ctl hands -o to a shell: an empty value must be written as ""
        opts = " ".join(f"-c {k}={v or EMPTY_SHELL_WORD}" for k, v in options.items())
        result = self._run(["pg_ctl", "-D", str(self.pgdata), "-l", str(self.pgdata / "server.log"), "-w",
                            "-t", "60", "-o", f"-p {self.port} {opts}", "start"])
        if result.returncode != 0:
            log = (self.pgdata / "server.log")
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise ClusterError(f"PostgreSQL did not start on port {self.port}:\n{result.stderr}\n{tail}")

    def create_database(self) -> None:
        """Roles, passwords, password-only logins, the database with its extensions, all owned by the owner."""
        passwords = self.passwords()
        try:
            admin = psycopg.connect(self._conninfo("postgres"), autocommit=True)
        except psycopg.OperationalError as exc:
            if "password authentication failed" not in str(exc):
                raise  # not up yet: up() waits and retries
            raise ClusterError(f"The cluster in {self.pgdata} refuses the superuser password in {self.passwords_file} "
                               "(was that file deleted or replaced?). Restore it, or stop the cluster and delete "
                               f"{self.pgdata} to start over.") from None
        with admin as conn:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(SUPERUSER),
                                                                    sql.Literal(passwords[SUPERUSER])))
            self._require_passwords(conn)
        provision(lambda dbname: psycopg.connect(self._conninfo(dbname), autocommit=True),
                  self.dbname, self.roles, passwords, EXTENSIONS)

    def _require_passwords(self, conn: psycopg.Connection) -> None:
        """Replace initdb's "trust" (clusters made before the roles existed) by scram; reload when changed."""
        hba = self.pgdata / "pg_hba.conf"
        if hba.read_text() != PG_HBA:
            hba.write_text(PG_HBA)  # rewritten in place: the file keeps its owner (postgres) and mode
            conn.execute("SELECT pg_reload_conf()")

    def up(self) -> bool:
        """Create and start the cluster and database; returns False when it already ran."""
        if self.running():
            self.create_database()
            return False
        if not self.initialised():
            self.init()
        self.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.create_database()
                return True
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def down(self) -> bool:
        if not self.running():
            return False
        self._run(["pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
        return True

    def destroy(self) -> None:
        self.down()
        shutil.rmtree(self.pgdata, ignore_errors=True)
