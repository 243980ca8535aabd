"""The review report as PDF: laid out from the report's own HTML, in Welsh and English."""
from __future__ import annotations

import pytest
from pypdf import PdfReader

from etl import pdf

if pdf.unavailable():
    pytest.skip(f"PDF TESTS SKIPPED: {pdf.unavailable()}", allow_module_level=True)

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>@page {{ size: A4; }} h2 {{ break-before: page; }}</style></head>
<body><h1>{title}</h1><p>{text}</p><h2>{second}</h2><p>1,234</p></body></html>"""


def test_each_language_is_laid_out_as_its_own_pdf_with_its_page_breaks(tmp_path):
    pages = {"cy": ("Adroddiad", "Ymatebodd 1,234 o bobl ym Mhowys a Thŷ-croes.", "Pwy ymatebodd"),
             "en": ("Report", "1,234 people answered in Powys and Tŷ-croes.", "Who responded")}
    pairs = []
    for lang, (title, text, second) in pages.items():
        source = tmp_path / f"report.{lang}.html"
        source.write_text(PAGE.format(lang=lang, title=title, text=text, second=second), encoding="utf-8")
        pairs.append((source, tmp_path / f"report.{lang}.pdf"))
    written = pdf.write_pdfs(pairs)
    assert written == [target for _, target in pairs]
    for (lang, (title, text, second)), target in zip(pages.items(), written):
        reader = PdfReader(target)
        assert len(reader.pages) == 2  # the print stylesheet's page break is kept
        assert " ".join(reader.pages[0].extract_text().split()) == f"{title} {text}"
        assert second in reader.pages[1].extract_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_failed_layout_leaves_the_previous_pdf(tmp_path):
    target = tmp_path / "report.en.pdf"
    target.write_bytes(b"%PDF-previous")
    with pytest.raises(RuntimeError, match="report.en.pdf"):
        pdf.write_pdfs([(tmp_path / "missing.html", target), (tmp_path / "missing-too.html", tmp_path / "x.pdf")])
    assert target.read_bytes() == b"%PDF-previous"
