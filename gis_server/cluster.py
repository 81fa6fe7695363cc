"""The embedded PostgreSQL + PostGIS cluster used when no database URL is configured.

The cluster lives in a data folder of the project, listens on 127.0.0.1 only (no Unix socket,
so long paths cannot break it) and trusts local connections. As root, the server binaries run
as the ``postgres`` user, since ``initdb`` refuses to run as root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

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
        return cls(pgdata=pgdata, port=port, dbname=dbname, **kw)

    # -- running commands ---------------------------------------------------------------
    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess[str]:
        if self.bindir is None:
            self.bindir = ensure_server_software(self.echo)
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if _is_root():
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _conninfo(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=5"

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
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.dbname}"')  # name from settings, not user input
        with psycopg.connect(self._conninfo(self.dbname), autocommit=True) as conn:
            for ext in EXTENSIONS:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")

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
