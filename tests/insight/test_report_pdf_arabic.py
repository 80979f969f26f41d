"""Arabic in the weekly report PDF: letters joined (shaped) and printed right to left."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from kcc.insight.report import Column, Table
from kcc.insight.report_pdf import ReportPdf

# "Questions about housing" and "Where can I register?", as a caller might write them.
ARABIC_TOPIC = "أسئلة عن السكن"
ARABIC_EXAMPLE = "أين يمكنني التسجيل؟"
# Arabic Presentation Forms-A and -B: the joined (initial, medial, final) letter shapes.
PRESENTATION_FORMS = range(0xFB50, 0xFEFF)


def extracted_text(pdf: ReportPdf) -> str:
    """The text of the rendered PDF as pypdf reads it, in drawing order."""
    data = bytes(pdf.output())
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def rendered_report_page() -> str:
    """A report page with an Arabic paragraph and an Arabic topic name in a table."""
    pdf = ReportPdf("Weekrapport")
    pdf.add_page()
    pdf.write_paragraph(ARABIC_EXAMPLE)
    pdf.write_table(
        Table(
            name="onderwerpen",
            heading="Onderwerpen",
            title="Vragen per onderwerp",
            columns=(Column("Onderwerp"), Column("Vragen", kind="count")),
            rows=((ARABIC_TOPIC, 12),),
        )
    )
    return extracted_text(pdf)


def test_arabic_letters_are_printed_joined_not_as_isolated_letters() -> None:
    text = rendered_report_page()

    assert any(ord(character) in PRESENTATION_FORMS for character in text)
    # Unshaped, the base letters (U+0600 block) would stand in the PDF one by one.
    assert not any("\u0621" <= character <= "\u064a" for character in text)


def test_arabic_words_are_drawn_right_to_left_and_read_back_as_written() -> None:
    # fpdf2 (2.8) orders right-to-left runs itself; this guards against reordering them twice
    # (as adding python-bidi's get_display would). Drawn left to right, the glyphs of a
    # right-to-left word come last letter first; folded back to base letters (NFKC) and
    # reversed, each word reads as the caller wrote it.
    folded = unicodedata.normalize("NFKC", rendered_report_page())

    for phrase in (ARABIC_TOPIC, "أين يمكنني التسجيل"):
        assert phrase[::-1] in folded, phrase
