"""Reading generated PDFs back with poppler (Debian ``poppler-utils``): a missing tool is a failure, not a skip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PRINT_BBOX = [122.70, 40.80, 122.76, 40.84]  # the print tests' sheet: about 5 km × 4.4 km near the city


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "doc") -> str:
    assert pdf.startswith(b"%PDF")
    assert shutil.which("pdftotext"), "pdftotext missing: apt-get install poppler-utils"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True)
    return out.stdout


def render_first_page(pdf: bytes, tmp_path: Path, name: str = "doc") -> Path:
    """Page 1 as PNG (kept under pytest's basetemp for a look)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(path), str(tmp_path / name)],
                   check=True)
    (png,) = tmp_path.glob(f"{name}-*1.png")
    return png
