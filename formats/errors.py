"""The one error type of ``formats``: a file that is refused, with a Chinese message for its sender.

``formats`` sits below every other package and imports none of them, so callers translate this
error into their own (``layers.uploads`` turns it into ``layers.errors.InvalidInput``, HTTP 422).
"""

from __future__ import annotations


class FileRefused(Exception):
    """An uploaded file that is not opened, or not read further; ``message`` is what its sender reads.

    Messages name the file as uploaded, a row number and a field — never the file's content.
    """

    def __init__(self, message: str, message_en: str):
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


class MissingFont(Exception):
    """The server cannot draw Chinese text (no CJK font installed): an operator's fault, not the user's."""

    def __init__(self, message: str, message_en: str):
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en


def size_text(n: int) -> str:
    """A size as people read it.

    >>> size_text(50 * 1024 * 1024), size_text(100_000), size_text(1_500_000)
    ('50 MB', '98 KB', '1.4 MB')
    """
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"
