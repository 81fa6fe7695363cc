"""The county 地名词典 PDF (issue 21 item 4: under 3 s for the county).

Builds the dictionary of ``--entries`` synthetic place names (5,600: the county's size, 1 % of the
province's 560,000) with ``publication.dictionary_document`` and ``to_pdf`` — the job's work after its
query — and, as the reference in the same run, the same entries set with reportlab Paragraphs as
``to_pdf`` did before (``--reference`` entries, scaled to the full count). CPU seconds are printed beside
wall seconds: on a shared machine the wall clock also counts other processes' work.

    .venv/bin/python bench/bench_dictionary_pdf.py [--entries 5600] [--reference 400]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rows import Row  # noqa: E402

TARGET_SECONDS = 3.0


def rows(n: int) -> list[dict]:
    r = random.Random(3)
    out = []
    for i in range(n):
        out.append({"id": i, "name": f"{r.choice('王李张刘陈杨赵')}家屯", "pinyin_toned": "Wángjiātún",
                    "pinyin": "Wangjiatun", "pinyin_key": f"wangjiatun{i:05d}",
                    "class_code": r.choice(["06100", "06200", "07100", "10100"]), "class_title": "自然村",
                    "code": f"210381101001{i:08d}", "division": "海城市牛庄镇", "village_name": "牛庄村",
                    "description": "位于镇政府驻地东北三公里处，村落沿河分布。", "meaning": "以王姓人家最早定居得名。",
                    "history": "清康熙年间王姓由山东迁此建村，1958年属牛庄公社，1984年复称现名。",
                    "approval_authority": "海城市人民政府", "approval_date": "2018-06-01",
                    "approval_doc_no": "海政地〔2018〕6号", "status": "approved", "status_title": "已批准"})
    return out


def paragraphs_pdf(doc) -> bytes:  # noqa: ANN001
    """The same document with every entry as reportlab Paragraphs (the way to_pdf set entries before)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate

    from formats.documents import _pdf_markup, _register_font, _styles

    st = _styles(_register_font())
    story = []
    for block in doc.blocks:
        if block.kind == "entry":
            parts = [Paragraph(_pdf_markup(block.text), st["headword"])]
            parts += [Paragraph(f"<font color='#555555'>{_pdf_markup(k)}：</font>{_pdf_markup(v)}", st["field"])
                      for k, v in block.rows]
            story.append(KeepTogether(parts))
        else:
            story.append(Paragraph(_pdf_markup(block.text), st["heading"]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return out.getvalue()


def timed(fn):  # noqa: ANN001, ANN201
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=5600)
    ap.add_argument("--reference", type=int, default=400)
    args = ap.parse_args(argv)

    from formats.documents import _register_font, to_pdf
    from layers.gazetteer import publication

    _register_font()  # once per process, as in the service
    doc = publication.dictionary_document(rows(args.entries), {})
    pdf, wall, cpu = timed(lambda: to_pdf(doc))
    small = publication.dictionary_document(rows(args.reference), {})
    _, ref_wall, ref_cpu = timed(lambda: paragraphs_pdf(small))
    scale = args.entries / args.reference
    print(f"{args.entries} entries: {len(pdf) / 1e6:.2f} MB in {wall:.2f} s ({cpu:.2f} s CPU); "
          f"Paragraphs: {args.reference} entries in {ref_wall:.2f} s ({ref_cpu:.2f} s CPU), ×{scale:.0f} ≈ "
          f"{ref_cpu * scale:.1f} s CPU")
    return [
        Row(f"dictionary PDF, {args.entries} entries (CPU)", cpu, "s", f"< {TARGET_SECONDS:.0f}", cpu < TARGET_SECONDS),
        Row(f"dictionary PDF, {args.entries} entries (wall)", wall, "s"),
        Row("dictionary PDF: Paragraphs (before) / now, CPU per entry", ref_cpu / args.reference / (cpu / args.entries),
            "×"),
    ]


if __name__ == "__main__":
    for row in main(sys.argv[1:]):
        print(row)
