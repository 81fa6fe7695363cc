"""Personal-data protection shared by every output path (lists, single features, tiles, exports).

- ID numbers (GB 11643) are checked, stored encrypted with a keyed hash for matching, and shown
  masked (first 6 + last 4); names, phones and addresses are masked in SQL unless revealed
  (《个人信息保护法》第五十一条（二）：采取相应的加密、去标识化等安全技术措施).
- Which fields are personal and how each is masked is declared on the model (``field(...,
  personal=True, mask=...)``); who may reveal and which rows a shared map may show are
  declared on the layer (``reveal_roles``, ``shared_map_filter``). Nothing here names a layer.

>>> id_check_character("21038119800101101")
'X'
>>> mask_id_number("21038119800101101X")
'210381********101X'
>>> mask_name("张三"), mask_name("欧阳小明"), mask_name("张"), mask_name(None)
('张*', '欧***', '*', None)
>>> mask_phone("13812345678"), mask_phone("4123456"), mask_phone("110")
('138****5678', '*****56', '****')
>>> mask_address("海城市海州管理区南关街12号"), mask_address("南关社区3组"), mask_address("海城")
('海城市海州管****', '南关社****', '海****')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import operator
from datetime import date
from functools import cached_property
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, text

from layers.errors import InvalidInput, NotFound
from layers.masks import output_masks
from layers.registry import LayerSpec
from layers.roles import Actor

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"  # ISO 7064 MOD 11-2, GB 11643-1999

def id_check_character(first17: str) -> str:
    if len(first17) != len(_WEIGHTS):
        raise ValueError("the check character is computed from 17 digits")
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))  # per row of an import: no generator
    return _CHECK[total % 11]


def validate_id_number(value: str) -> str:
    """The normalised (upper-case X) 18-character number, or :class:`InvalidInput` saying why."""
    number = value.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidInput("身份证号码应为 18 位：前 17 位为数字，最后一位为数字或 X",
                           "ID number must be 17 digits and a check character", field="id_number")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(f"身份证号码中的出生日期 {number[6:14]} 无效", "invalid birth date in ID number",
                           field="id_number") from None
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise InvalidInput(f"身份证号码校验码错误：最后一位应为 {expected}，请核对号码",
                           "ID number check character is wrong", field="id_number")
    return number


def mask_id_number(number: str | None) -> str | None:
    return None if number is None else number[:6] + "*" * 8 + number[-4:]


def mask_name(name: str | None) -> str | None:
    """The surname only; a one-character name shows nothing."""
    if name is None:
        return None
    return "*" if len(name) < 2 else name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """A mobile number keeps 3 + 4 digits; shorter numbers (landlines) only their last 2."""
    if phone is None:
        return None
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:] if len(phone) >= 5 else "****"


def mask_address(address: str | None) -> str | None:
    """At most the first 6 characters, and never more than half of the address."""
    return None if address is None else address[:min(6, len(address) // 2)] + "****"


PYTHON_MASKS = {"name": mask_name, "phone": mask_phone, "address": mask_address, "hidden": lambda value: None}


def mask_properties(spec: LayerSpec, actor: Actor, properties: dict[str, Any]) -> dict[str, Any]:
    """The properties a client may see: hidden columns dropped, personal ones masked (as ``layers.masks``)."""
    visible = {f.name for f in spec.fields}
    out = {k: v for k, v in properties.items() if k in visible}
    for column in spec.table.columns:
        kind = column.info.get("mask")
        if column.name in out and column.info.get("personal") and kind:
            out[column.name] = PYTHON_MASKS[kind](out[column.name])
    return out


class PersonalDataCipher:
    """Encrypts ID numbers (Fernet: AES-128-CBC + HMAC) and makes a keyed hash for matching.

    The hash of a number under a key never changes (stored hashes find their records again):

    >>> cipher = PersonalDataCipher("测试-key")
    >>> cipher.match_hash("21038119800101101X")
    'ff84fd4690223da9553f9a14af58386501f8b1f0465fc4fbab0e6a86a04bce5a'
    >>> cipher.match_hash("21038119800101101X") == cipher.match_hash("21038119800101101X")
    True
    >>> cipher.decrypt(cipher.encrypt("21038119800101101X"))
    '21038119800101101X'
    """

    def __init__(self, key: str):
        self._key = key.encode()

    @cached_property
    def _fernet(self) -> Fernet:
        derived = hashlib.sha256(b"haicheng-gis/encrypt/" + self._key).digest()
        return Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            raise InvalidInput("无法解密：个人信息密钥与加密时不同", "cannot decrypt with this key") from None

    @cached_property
    def _match_keyed(self) -> Any:
        """The keyed hash's state before any value: each hash copies it (an import hashes every row)."""
        return hmac.new(hashlib.sha256(b"haicheng-gis/match/" + self._key).digest(), digestmod=hashlib.sha256)

    def match_hash(self, value: str) -> str:
        keyed = self._match_keyed.copy()
        keyed.update(value.encode())
        return keyed.hexdigest()


def may_reveal(spec: LayerSpec, actor: Actor) -> bool:
    """Only the layer's own reveal roles; an admin as such does not (``LayerSpec.admin_may``)."""
    return bool(spec.reveal_roles & actor.roles)


def masked_expressions(spec: LayerSpec, actor: Actor, reveal: bool = False) -> dict[str, str]:
    """The masks of one record's output: none when ``actor`` asks for, and may have, a reveal."""
    return {} if reveal and may_reveal(spec, actor) else output_masks(spec)


def visible_rows_sql(spec: LayerSpec, actor: Actor, alias: str = "t") -> str | None:
    """An extra WHERE condition limiting which rows ``actor`` may see, or None.

    Rows matched by the layer's ``shared_map_filter`` exclusion (e.g. households with a child
    under 14) are shown only to the roles that may reveal the layer's personal data.
    """
    if spec.shared_map_filter is None or bool(spec.reveal_roles & actor.roles):
        return None
    return spec.shared_map_filter.format(t=alias)


def require_visible(conn: Connection, spec: LayerSpec, actor: Actor, feature_id: int) -> None:
    """A row that ``actor`` may not see (see :func:`visible_rows_sql`) is not found by any path:
    a single read, its history, a write, a restore — as in lists and on the map.
    """
    row_filter = visible_rows_sql(spec, actor)
    if row_filter is None:
        return
    hidden = conn.execute(text(f'SELECT NOT ({row_filter}) FROM "{spec.table.name}" t WHERE t.id = :id'),
                          {"id": feature_id}).scalar()
    if hidden:
        raise NotFound(f"{spec.title}中没有编号为 {feature_id} 的要素", f"{spec.name}/{feature_id} not found")
