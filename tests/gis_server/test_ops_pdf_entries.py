"""The dictionary's entries set directly on the page (formats/pdf_entries.py): lines fill the width and
lose no character, closing punctuation never starts a line, Latin capitals the CJK font lacks come from
the fallback font, and an entry taller than a page goes on over the break."""

from __future__ import annotations

from formats.documents import FALLBACK_NAME, FONT_NAME, Document, _coverage, to_pdf
from formats.pdf_entries import FIELD, EntryFlowable

WIDTH = 200.0  # points


def _entry(fields: list[tuple[str, str]]) -> EntryFlowable:
    covered, has_fallback = _coverage()
    assert has_fallback
    return EntryFlowable("鞍山屯　Ānshāntún", fields, (FONT_NAME, FALLBACK_NAME), covered)


def _texts(flowable: EntryFlowable) -> list[str]:
    assert flowable._lines is not None
    return ["".join(run[1] for run in runs) for _, runs in flowable._lines]


def test_lines_fill_the_width_lose_nothing_and_never_start_with_closing_punctuation():
    history = "清康熙年间王姓由山东迁此建村，1958年属牛庄公社。" * 6
    entry = _entry([("历史沿革", history)])
    _, height = entry.wrap(WIDTH, 10_000)
    lines = _texts(entry)
    assert lines[0] == "鞍山屯　Ānshāntún"
    assert "".join(lines[1:]) == "历史沿革：" + history
    assert len(lines) == 9 and height == 5 + 17 + 8 * 14
    for _, runs in entry._lines[1:]:
        assert sum(run[3] for run in runs) * FIELD[0] <= WIDTH - FIELD[2] + FIELD[0]  # a comma may overhang
    assert not any(line[0] in "，。" for line in lines[1:])
    fonts = {run[0] for run in entry._lines[0][1]}
    assert fonts == {FONT_NAME, FALLBACK_NAME}  # the capital "Ā" is not in the CJK font


def test_an_entry_taller_than_the_page_goes_on_over_the_break():
    entry = _entry([("含义", "以王姓人家最早定居得名。" * 40)])
    _, height = entry.wrap(WIDTH, 10_000)
    first, rest = entry.split(WIDTH, 100)
    assert first.wrap(WIDTH, 100)[1] <= 100
    assert "".join(_texts(first) + _texts(rest)) == "".join(_texts(entry))
    assert abs(first.wrap(WIDTH, 100)[1] + rest.wrap(WIDTH, 10_000)[1] - height) < 1e-6
    assert _entry([("含义", "短")]).split(WIDTH, 20) == []  # a short entry moves whole to the next page


def test_a_dictionary_of_long_entries_builds():
    doc = Document("海城市地名词典")
    for i in range(3):
        doc.entry(f"王家屯{i}", [("含义", "以王姓人家最早定居得名。" * 200)])
    assert to_pdf(doc).startswith(b"%PDF")
