r"""Rendering a simple document (headings, paragraphs, tables, images, dictionary entries, signature
blocks) to PDF, DOCX, XLSX and standalone HTML. The content is built by the domain (e.g.
``layers.inspections.report``, ``layers.siting.report``); this module only writes files.

PDF needs a CJK font on the machine (Debian ``fonts-wqy-zenhei`` or ``fonts-noto-cjk``); it is
named explicitly, never left to the PDF library's defaults (which have no Chinese glyphs). Text is
plain text everywhere: it is escaped before reportlab's paragraph markup sees it, and line breaks
are kept. The HTML is one file with its images inline (``data:`` URIs): it makes no request.

>>> doc = Document("报告 <1>")
>>> doc.paragraph("a & b\nc")
>>> html = to_html(doc)
>>> "报告 &lt;1&gt;" in html and "a &amp; b<br>c" in html and "http" not in html
True
>>> markup("x < y\nz")
'x &lt; y<br/>z'
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from formats.errors import MissingFont
from formats.tabular import safe_cell

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
FONT_NAME = "CJK"
# Latin letters the CJK fonts lack (capital pinyin vowels with tone marks: Ā Ē Ō Ǎ Ě Ǒ …) come from here
FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
FALLBACK_NAME = "CJK-Latin"
DOCX_FONT = "WenQuanYi Zen Hei"
SIGNATURE = "（盖章）\n\n负责人签字：\n\n日期：　　年　　月　　日"


@dataclass
class Block:
    kind: str  # heading | subheading | paragraph | table | image | entry | signatures | pagebreak
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    image: bytes | None = None
    sides: list[str] = field(default_factory=list)
    widths: list[float] | None = None  # table: relative column widths; image: width in mm


@dataclass
class Document:
    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    landscape: bool = False  # PDF page orientation (wide tables)

    def heading(self, text: str) -> None:
        self.blocks.append(Block("heading", text))

    def subheading(self, text: str) -> None:
        self.blocks.append(Block("subheading", text))

    def entry(self, headword: str, fields: list[tuple[str, Any]]) -> None:
        """A dictionary entry: a headword line, then ``label：value`` lines (empty values left out)."""
        rows = [[label, value] for label, value in fields if value not in (None, "")]
        self.blocks.append(Block("entry", headword, rows=rows))

    def paragraph(self, text: str) -> None:
        self.blocks.append(Block("paragraph", text))

    def table(self, header: list[str], rows: list[list[Any]], title: str = "",
              widths: list[float] | None = None) -> None:
        self.blocks.append(Block("table", title, header=header, rows=rows, widths=widths))

    def image(self, data: bytes, caption: str, width_mm: float | None = None) -> None:
        self.blocks.append(Block("image", caption, image=data, widths=[width_mm] if width_mm else None))

    def signatures(self, sides: list[str]) -> None:
        self.blocks.append(Block("signatures", sides=sides))


@cache
def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():  # parsing the font costs ~0.8 s: once a process
        return FONT_NAME
    for path in CJK_FONTS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return FONT_NAME
    raise MissingFont("服务器缺少中文字体，无法生成 PDF：请安装 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei）",
                      "no CJK font: apt-get install fonts-wqy-zenhei")


@cache
def _coverage() -> tuple[frozenset[int], bool]:
    """The code points of the registered CJK font, and whether a fallback font is registered."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    covered = frozenset(pdfmetrics.getFont(_register_font()).face.charToGlyph)
    for path in FALLBACK_FONTS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FALLBACK_NAME, str(path)))
            return covered, True
    return covered, False


def _with_fallback(text: str) -> str:
    """Markup whose characters missing from the CJK font are set in the fallback font."""
    covered, has_fallback = _coverage()
    if not has_fallback:
        return text
    out, run = [], []
    for ch in text + "\0":
        if ch != "\0" and ord(ch) > 127 and ord(ch) not in covered:
            run.append(ch)
            continue
        if run:
            out.append(f'<font name="{FALLBACK_NAME}">{"".join(run)}</font>')
            run = []
        out.append(ch)
    return "".join(out[:-1])


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def markup(value: Any) -> str:
    """Plain text as reportlab paragraph markup: escaped, line breaks kept."""
    return html.escape(_cell(value), quote=False).replace("\n", "<br/>")


def _pdf_markup(value: Any) -> str:
    return _with_fallback(markup(value))


def _col_widths(block: Block, width: float) -> list[float]:
    n = max(1, len(block.header))
    weights = block.widths if block.widths and len(block.widths) == n else [1.0] * n
    return [width * w / sum(weights) for w in weights]


def _styles(font: str) -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    def style(name: str, size: float, leading: float, **extra: Any) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **extra)

    return {"title": style("title", 18, 26, alignment=1), "subtitle": style("subtitle", 11, 16, alignment=1),
            "heading": style("heading", 13, 20, spaceBefore=8, spaceAfter=4, keepWithNext=1),
            "subheading": style("subheading", 11, 16, spaceBefore=6, spaceAfter=3, keepWithNext=1,
                                textColor=colors.HexColor("#1f3f6f")),
            "body": style("body", 10, 15), "small": style("small", 7.5, 9.5),
            "headword": style("headword", 11.5, 17, spaceBefore=5, textColor=colors.HexColor("#7a1f1f")),
            "field": style("field", 9.5, 14, leftIndent=12, firstLineIndent=0)}


def _footer(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT_NAME, 8)
    canvas.drawCentredString(document.pagesize[0] / 2, 8 * 2.8346, f"第 {document.page} 页")
    canvas.restoreState()


def to_pdf(doc: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from formats.pdf_entries import EntryFlowable

    font = _register_font()
    st = _styles(font)
    pagesize = landscape(A4) if doc.landscape else A4
    width = pagesize[0] - 30 * mm
    story: list[Any] = [Paragraph(_pdf_markup(doc.title), st["title"])]
    if doc.subtitle:
        story.append(Paragraph(_pdf_markup(doc.subtitle), st["subtitle"]))
    story.append(Spacer(1, 6 * mm))
    for block in doc.blocks:
        if block.kind in ("heading", "subheading"):
            story.append(Paragraph(_pdf_markup(block.text), st[block.kind]))
        elif block.kind == "paragraph":
            story.append(Paragraph(_pdf_markup(block.text), st["body"]))
        elif block.kind == "pagebreak":
            story.append(PageBreak())
        elif block.kind == "table":
            data = [[Paragraph(_pdf_markup(c), st["small"]) for c in block.header]]
            data += [[Paragraph(_pdf_markup(c), st["small"]) for c in row] for row in block.rows]
            table = Table(data, colWidths=_col_widths(block, width), repeatRows=1, splitInRow=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [table, Spacer(1, 3 * mm)]
        elif block.kind == "image" and block.image:
            image = Image(io.BytesIO(block.image))
            if block.widths:  # a given width (a map), kept inside the frame
                scale = min(block.widths[0] * mm, width) / image.drawWidth
                scale = min(scale, (pagesize[1] - 60 * mm) / image.drawHeight)
            else:  # a thumbnail
                scale = min(1.0, 60 * mm / max(image.drawWidth, image.drawHeight))
            image.drawWidth, image.drawHeight = image.drawWidth * scale, image.drawHeight * scale
            story += [KeepTogether([image, Paragraph(_pdf_markup(block.text), st["small"])]), Spacer(1, 2 * mm)]
        elif block.kind == "entry":  # set directly: 20× faster than Paragraphs (formats/pdf_entries.py)
            covered, has_fallback = _coverage()
            story.append(EntryFlowable(_cell(block.text), [(_cell(label), _cell(value)) for label, value in block.rows],
                                       (font, FALLBACK_NAME if has_fallback else None), covered))
        elif block.kind == "signatures":
            cells = [[Paragraph(_pdf_markup(f"{side}{SIGNATURE}"), st["body"]) for side in block.sides]]
            table = Table(cells, colWidths=[width / len(block.sides)] * len(block.sides), rowHeights=[40 * mm])
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [Spacer(1, 4 * mm), table]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=pagesize, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=doc.title).build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def to_docx(doc: Document) -> bytes:
    from docx import Document as Docx
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    word = Docx()
    normal = word.styles["Normal"]
    normal.font.name = DOCX_FONT
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), DOCX_FONT)
    word.add_heading(doc.title, level=0)
    if doc.subtitle:
        word.add_paragraph(doc.subtitle)
    for block in doc.blocks:
        if block.kind in ("heading", "subheading"):
            word.add_heading(block.text, level=1 if block.kind == "heading" else 2)
        elif block.kind == "paragraph":
            word.add_paragraph(block.text)
        elif block.kind == "entry":
            word.add_paragraph(block.text).runs[0].bold = True
            for label, value in block.rows:
                word.add_paragraph(f"{label}：{_cell(value)}")
        elif block.kind == "pagebreak":
            word.add_page_break()
        elif block.kind == "table":
            table = word.add_table(rows=1, cols=len(block.header), style="Table Grid")
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = _cell(text)
            for row in block.rows:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = _cell(value)
        elif block.kind == "image" and block.image:
            word.add_picture(io.BytesIO(block.image), width=Mm(min(block.widths[0], 160) if block.widths else 50))
            word.add_paragraph(block.text)
        elif block.kind == "signatures":
            table = word.add_table(rows=1, cols=len(block.sides), style="Table Grid")
            for cell, side in zip(table.rows[0].cells, block.sides, strict=True):
                cell.text = f"{side}{SIGNATURE}"
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def to_xlsx(doc: Document) -> bytes:
    """Each table of the document on its own sheet (cells escaped against formula injection)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    tables = [b for b in doc.blocks if b.kind == "table"]
    for i, block in enumerate(tables, 1):
        name = (block.text or f"表{i}")[:28]
        sheet = workbook.create_sheet(title=name if name not in workbook.sheetnames else f"{name[:25]}{i}")
        sheet.append([safe_cell(h) for h in block.header])
        for row in block.rows:
            sheet.append([safe_cell(v) for v in row])
    if not tables:
        workbook.create_sheet(title="空")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_HTML_STYLE = """
body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em auto;
max-width:1000px;padding:0 1em;color:#222;line-height:1.6}
h1{text-align:center;font-size:1.6em;margin-bottom:.2em}.subtitle{text-align:center;color:#555}
h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.5em}h3{font-size:1.05em;color:#1f3f6f}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #999;padding:.25em .4em;vertical-align:top;text-align:left}th{background:#eee}
figure{margin:1em 0;text-align:center}figure img{max-width:100%;border:1px solid #ccc}
figcaption{font-size:.85em;color:#555}dl.entry{margin:.6em 0}dl.entry dt{color:#7a1f1f;font-weight:bold}
dl.entry dd{margin:0 0 0 1.5em}.signatures td{height:8em;width:50%}
@media print{body{margin:0;max-width:none}}
"""


def _h(value: Any) -> str:
    return html.escape(_cell(value)).replace("\n", "<br>")


def _html_table(header: list[Any], rows: list[list[Any]], caption: str = "") -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in header)
    body = "".join("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table data-title="{_h(caption)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _image_type(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def to_html(doc: Document) -> str:
    """One standalone page: inline CSS, images as ``data:`` URIs, no script, no external request."""
    parts = [f"<h1>{_h(doc.title)}</h1>"]
    if doc.subtitle:
        parts.append(f'<p class="subtitle">{_h(doc.subtitle)}</p>')
    for block in doc.blocks:
        if block.kind == "heading":
            parts.append(f"<h2>{_h(block.text)}</h2>")
        elif block.kind == "subheading":
            parts.append(f"<h3>{_h(block.text)}</h3>")
        elif block.kind == "paragraph":
            parts.append(f"<p>{_h(block.text)}</p>")
        elif block.kind == "table":
            parts.append(_html_table(block.header, block.rows, block.text))
        elif block.kind == "image" and block.image:
            uri = f"data:{_image_type(block.image)};base64,{base64.b64encode(block.image).decode('ascii')}"
            parts.append(f'<figure><img src="{uri}" alt="{_h(block.text)}"><figcaption>{_h(block.text)}'
                         "</figcaption></figure>")
        elif block.kind == "entry":
            fields = "".join(f"<dd><span>{_h(label)}：</span>{_h(value)}</dd>" for label, value in block.rows)
            parts.append(f'<dl class="entry"><dt>{_h(block.text)}</dt>{fields}</dl>')
        elif block.kind == "signatures":
            cells = "".join(f"<td>{_h(side + SIGNATURE)}</td>" for side in block.sides)
            parts.append(f'<table class="signatures"><tr>{cells}</tr></table>')
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_h(doc.title)}</title><style>{_HTML_STYLE}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
