"""Uploads are received and opened by ``formats``; here its refusals become ``InvalidInput`` (HTTP 422)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import formats
from layers.errors import InvalidInput


@contextmanager
def received(data: bytes | BinaryIO, filename: str, accepted: tuple[str, ...],
             max_bytes: int = formats.opening.DEFAULT_MAX_BYTES) -> Iterator[formats.Upload]:
    """:func:`formats.receive`, with every :class:`formats.FileRefused` inside the block as ``InvalidInput``."""
    try:
        with formats.receive(data, filename, accepted, max_bytes) as upload:
            yield upload
    except formats.FileRefused as exc:
        raise InvalidInput(exc.message, exc.message_en, field="file") from None
