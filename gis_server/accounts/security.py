"""Password hashing (Argon2), signed tokens (JWT, HS256) naming their session, and CSRF tokens
bound to the session.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import cache, lru_cache
from hashlib import sha256

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from layers.errors import Unauthenticated

TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name, not a secret)


# Argon2id, m = 19 MiB, t = 2, p = 1: OWASP Password Storage Cheat Sheet (2023–), first of its equivalent
# Argon2id settings; RFC 9106 §4 allows choosing memory and passes to the time budget (its 64 MiB/t=3/p=4
# option is the library's default, 0.9 s per sign-in on this 2-core server, most of the first map's wait).
# A password hashed with other parameters still verifies and is re-hashed with these on sign-in
# (:func:`needs_rehash`). Local parameter, measured in bench/bench_first_map.py.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                          parallelism=ARGON2_PARALLELISM)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Hashed with other parameters than today's (an older default): to be re-hashed at the next sign-in."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """Verifying against this keeps a failed login for an unknown name as slow as for a known one."""
    return hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class TokenClaims:
    username: str
    expires_at: int
    issued_at: int
    session_id: str  # the row in ``sessions`` that logout revokes


def issue_token(secret: str, username: str, ttl_seconds: int, issued_at: int | None = None,
                session_id: str | None = None) -> str:
    """A signed token of the session ``session_id`` (sign-in records it first; a fresh id otherwise,
    for tools and tests); ``issued_at`` from the database's clock, which also dates password changes.
    """
    now = int(time.time()) if issued_at is None else issued_at
    claims = {"sub": username, "iat": now, "exp": now + ttl_seconds, "sid": session_id or str(uuid.uuid4())}
    return jwt.encode(claims, secret, algorithm=TOKEN_ALGORITHM)


def read_token(secret: str, token: str) -> TokenClaims:
    claims = _verified_claims(secret, token)
    if claims.expires_at <= time.time():  # as PyJWT decides, checked on every use of a remembered token
        raise Unauthenticated("登录已过期，请重新登录", "token expired")
    return claims


@lru_cache(maxsize=4096)
def _verified_claims(secret: str, token: str) -> TokenClaims:
    """The claims of a token whose signature is good. Remembered: the same string has the same
    signature check, and checking it again cost a quarter of a millisecond on every request.
    Refused tokens raise and so are not remembered.
    """
    try:
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM],
                            options={"require": ["sub", "exp", "iat", "sid"]})
        session_id = str(uuid.UUID(str(claims["sid"])))  # a token without a session cannot be logged out
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("登录已过期，请重新登录", "token expired") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthenticated("身份凭证无效，请重新登录", "invalid token") from None
    return TokenClaims(username=claims["sub"], expires_at=claims["exp"], issued_at=claims["iat"],
                       session_id=session_id)


def csrf_token(secret: str, session_id: str) -> str:
    """The CSRF token of one session: an HMAC of its id, so a token from another session (or one an
    attacker planted in a cookie) does not match, and nothing needs storing.
    """
    digest = hmac.new(secret.encode(), b"haicheng-gis/csrf/" + session_id.encode(), sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_matches(secret: str, session_id: str, header_value: str | None) -> bool:
    if not header_value:
        return False
    return hmac.compare_digest(csrf_token(secret, session_id).encode(), header_value.encode())
