"""Dictionary entries set straight on the page: a fast path for :func:`formats.documents.to_pdf`.

reportlab's ``Paragraph`` with ``wordWrap="CJK"`` parses markup and builds an object per character; a
county's 地名词典 (thousands of entries, eight fields each) took about 7 ms an entry, 40 s for the
county. An entry needs none of that: plain text in two fonts (the CJK font, and a Latin one for the
toned capitals it lacks), broken into lines by width and drawn with ``drawString``. Line breaks: after
any CJK character, or at a space; closing punctuation never starts a line.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

# (size, leading, left indent, colour) of the headword and of a field line, as the Paragraph styles were
HEADWORD = (11.5, 17.0, 0.0, HexColor("#7a1f1f"))
FIELD = (9.5, 14.0, 12.0, HexColor("#000000"))
LABEL_COLOUR = HexColor("#555555")
SPACE_BEFORE = 5.0
NO_LINE_START = frozenset("，。、；：！？）》」』】〕,.;:!?)")

Run = tuple[str, str, Any, float]  # (font, text, colour, width at size 1)
Line = tuple[tuple[float, float, float, Any], list[Run]]  # (style, runs)


@cache
def _width(font: str, ch: str) -> float:
    return pdfmetrics.stringWidth(ch, font, 1.0)


class EntryFlowable(Flowable):
    """One entry: its headword and ``label：value`` lines, wrapped to the frame's width."""

    def __init__(self, headword: str, fields: list[tuple[str, str]], fonts: tuple[str, str | None],
                 covered: frozenset[int], lines: list[Line] | None = None, first: bool = True):
        super().__init__()
        self.headword, self.fields, self.fonts, self.covered = headword, fields, fonts, covered
        self._lines = lines
        self._first = first  # the part with the space above the headword

    def _font_of(self, ch: str) -> str:
        main, fallback = self.fonts
        return fallback if fallback and ord(ch) > 127 and ord(ch) not in self.covered else main

    def _layout(self, width: float) -> list[Line]:
        lines: list[Line] = []
        self._wrap_text(lines, HEADWORD, [(self.headword, HEADWORD[3])], width)
        for label, value in self.fields:
            self._wrap_text(lines, FIELD, [(f"{label}：", LABEL_COLOUR), (value, FIELD[3])], width)
        return lines

    def _wrap_text(self, lines: list[Line], style: tuple[float, float, float, Any], parts: list[tuple[str, Any]],
                   width: float) -> None:
        size, _leading, indent, _colour = style
        room = (width - indent) / size
        chars = [(ch, colour, self._font_of(ch)) for text, colour in parts for ch in text.replace("\n", " ")]
        widths = [_width(font, ch) for ch, _c, font in chars]
        start, used, last_break = 0, 0.0, -1
        for i, (ch, _c, _font) in enumerate(chars):
            w = widths[i]
            if used + w > room and i > start and ch not in NO_LINE_START:
                cut = last_break if last_break > start else i
                lines.append((style, _runs(chars[start:cut], widths[start:cut])))
                start = cut + 1 if cut < len(chars) and chars[cut][0] == " " else cut
                used = sum(widths[start:i + 1])
                last_break = -1
                continue
            used += w
            if ch == " ":
                last_break = i
            elif ord(ch) > 0x2E7F:  # CJK: a break may follow it
                last_break = i + 1
        if start < len(chars):
            lines.append((style, _runs(chars[start:], widths[start:])))

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self._lines is None:
            self._lines = self._layout(available_width)
        self.width = available_width
        self.height = sum(style[1] for style, _ in self._lines) + (SPACE_BEFORE if self._first else 0)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        """Across a page break (an entry taller than what is left, and taller than 4 lines)."""
        lines = self._lines if self._lines is not None else self._layout(available_width)
        height = SPACE_BEFORE if self._first else 0
        fit = 0
        for style, _ in lines:
            if height + style[1] > available_height:
                break
            height += style[1]
            fit += 1
        if fit < 2 or len(lines) - fit < 2:
            return []  # keep short entries whole: the next page
        return [EntryFlowable(self.headword, self.fields, self.fonts, self.covered, lines[:fit], self._first),
                EntryFlowable(self.headword, self.fields, self.fonts, self.covered, lines[fit:], False)]

    def draw(self) -> None:
        assert self._lines is not None
        canvas = self.canv
        y = self.height - (SPACE_BEFORE if self._first else 0)
        current: tuple[Any, ...] = ()
        fill = None
        for (size, leading, indent, _colour), runs in self._lines:
            y -= leading
            x = indent
            baseline = y + (leading - size) / 2 + size * 0.12
            for font, text, colour, run_width in runs:
                if current != (font, size):
                    canvas.setFont(font, size)
                    current = (font, size)
                if colour is not fill:
                    canvas.setFillColor(colour)
                    fill = colour
                canvas.drawString(x, baseline, text)
                x += run_width * size


def _runs(chars: list[tuple[str, Any, str]], widths: list[float]) -> list[Run]:
    """Consecutive characters of one font and colour as one string, with its width at size 1."""
    runs: list[Run] = []
    text: list[str] = []
    run_font, run_colour, run_width = "", None, 0.0
    for (ch, colour, font), w in zip(chars, widths, strict=True):
        if text and (font != run_font or colour is not run_colour):  # identity: Color.__eq__ is slow
            runs.append((run_font, "".join(text), run_colour, run_width))
            text, run_width = [], 0.0
        run_font, run_colour = font, colour
        text.append(ch)
        run_width += w
    if text:
        runs.append((run_font, "".join(text), run_colour, run_width))
    return runs
