"""Rendering a simple document (headings, paragraphs, tables, images, signature blocks) to PDF, DOCX
and XLSX. The content is built by the domain (e.g. ``layers.inspections.report``); this module only
writes files.

PDF needs a CJK font on the machine (Debian ``fonts-wqy-zenhei`` or ``fonts-noto-cjk``); it is
named explicitly, never left to the PDF library's defaults (which have no Chinese glyphs).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from importers.tabular import safe_cell
from layers.errors import DomainError

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
FONT_NAME = "CJK"
DOCX_FONT = "WenQuanYi Zen Hei"


@dataclass
class Block:
    kind: str  # heading | paragraph | table | image | signatures | pagebreak
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    image: bytes | None = None
    sides: list[str] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(Block("heading", text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(Block("paragraph", text))

    def table(self, header: list[str], rows: list[list[Any]], title: str = "") -> None:
        self.blocks.append(Block("table", title, header=header, rows=rows))

    def image(self, data: bytes, caption: str) -> None:
        self.blocks.append(Block("image", caption, image=data))

    def signatures(self, sides: list[str]) -> None:
        self.blocks.append(Block("signatures", sides=sides))


class MissingFont(DomainError):
    code = "missing_font"


@cache
def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for path in CJK_FONTS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return FONT_NAME
    raise MissingFont("服务器缺少中文字体，无法生成 PDF：请安装 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei）",
                      "no CJK font: apt-get install fonts-wqy-zenhei")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def to_pdf(doc: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1, wordWrap="CJK")
    subtitle = ParagraphStyle("subtitle", fontName=font, fontSize=11, leading=16, alignment=1, wordWrap="CJK")
    heading = ParagraphStyle("heading", fontName=font, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4,
                             wordWrap="CJK")
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK")
    width = A4[0] - 30 * mm
    story: list[Any] = [Paragraph(doc.title, title)]
    if doc.subtitle:
        story.append(Paragraph(doc.subtitle, subtitle))
    story.append(Spacer(1, 6 * mm))
    for block in doc.blocks:
        if block.kind == "heading":
            story.append(Paragraph(block.text, heading))
        elif block.kind == "paragraph":
            story.append(Paragraph(block.text, body))
        elif block.kind == "pagebreak":
            story.append(PageBreak())
        elif block.kind == "table":
            data = [[Paragraph(_cell(c), small) for c in block.header]]
            data += [[Paragraph(_cell(c), small) for c in row] for row in block.rows]
            table = Table(data, colWidths=[width / max(1, len(block.header))] * len(block.header), repeatRows=1)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [table, Spacer(1, 3 * mm)]
        elif block.kind == "image" and block.image:
            image = Image(io.BytesIO(block.image))
            scale = min(1.0, 60 * mm / max(image.drawWidth, image.drawHeight))
            image.drawWidth, image.drawHeight = image.drawWidth * scale, image.drawHeight * scale
            story += [image, Paragraph(block.text, small)]
        elif block.kind == "signatures":
            cells = [[Paragraph(f"{side}（盖章）<br/><br/>负责人签字：<br/><br/>日期：　　年　　月　　日", body)
                      for side in block.sides]]
            table = Table(cells, colWidths=[width / len(block.sides)] * len(block.sides), rowHeights=[40 * mm])
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [Spacer(1, 4 * mm), table]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=doc.title).build(story)
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
        if block.kind == "heading":
            word.add_heading(block.text, level=1)
        elif block.kind == "paragraph":
            word.add_paragraph(block.text)
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
            word.add_picture(io.BytesIO(block.image), width=Mm(50))
            word.add_paragraph(block.text)
        elif block.kind == "signatures":
            table = word.add_table(rows=1, cols=len(block.sides), style="Table Grid")
            for cell, side in zip(table.rows[0].cells, block.sides, strict=True):
                cell.text = f"{side}（盖章）\n\n负责人签字：\n\n日期：　　年　　月　　日"
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
