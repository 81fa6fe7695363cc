"""The development signing secret: random, made on the first run, kept in the data folder (mode 0600).

The demo needs no configuration, yet its secret must not be a constant anyone can read in the
source (a token signed with a published secret is a forged token). So the first run draws one
from the operating system's random source and stores it beside the embedded cluster; later runs,
the command line and the server read the same file, and sessions survive a restart.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 32  # as required of GIS_SECRET_KEY (HS256 wants ≥ 256 bits of key: RFC 7518 §3.2)


class SecretFileError(RuntimeError):
    """The stored secret cannot be used (readable by others, too short, unreadable)."""


def load_or_create(data_dir: Path) -> str:
    """The secret stored in ``data_dir``, created there first when missing.

    Two processes starting at once agree on one secret: the new file is written under a temporary
    name and linked into place, which fails for the second, who then reads the first one's file.
    """
    path = data_dir / FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")  # mkstemp: mode 0600
    try:
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its secret
    finally:
        os.unlink(temporary)


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretFileError(f"{path} may be read by other users (mode {mode:o}); run: chmod 600 {path}")
    secret = path.read_text().strip()
    if len(secret) < MIN_LENGTH:
        raise SecretFileError(f"{path} holds fewer than {MIN_LENGTH} characters; delete it to draw a new secret")
    return secret
