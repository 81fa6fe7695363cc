"""Password hashing (Argon2), signed tokens (JWT, HS256) and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from functools import cache, lru_cache
from hashlib import sha256

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from layers.errors import Unauthenticated

TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name, not a secret)


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


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


def issue_token(secret: str, username: str, ttl_seconds: int, issued_at: int | None = None) -> str:
    """A signed token; ``issued_at`` from the database's clock, which also dates password changes."""
    now = int(time.time()) if issued_at is None else issued_at
    return jwt.encode({"sub": username, "iat": now, "exp": now + ttl_seconds}, secret, algorithm=TOKEN_ALGORITHM)


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
        claims = jwt.decode(token, secret, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("登录已过期，请重新登录", "token expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("身份凭证无效，请重新登录", "invalid token") from None
    return TokenClaims(username=claims["sub"], expires_at=claims["exp"], issued_at=claims["iat"])


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(cookie_value: str | None, header_value: str | None) -> bool:
    if not cookie_value or not header_value:
        return False
    return hmac.compare_digest(sha256(cookie_value.encode()).digest(), sha256(header_value.encode()).digest())
