"""The weekly report as an A4 PDF: key figures, a bar chart of questions per day, every table.

Plain Python and fpdf2, no Flask: it takes what `weekly_report` returns, so the PDF shows the
same figures as the page and the CSV files. DejaVu Sans (kcc/data/fonts) prints topic names
and examples in any script; the chart is drawn with fpdf2's rectangles and lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import arabic_reshaper
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from kcc.governance.subject_pdf import FONT_FAMILY, clean, font_path
from kcc.insight.report import DayCounts, Table, WeeklyReport, dutch_integer
from kcc.localtime import format_local

LINE_HEIGHT = 5.0  # mm at 9 pt
CHART_HEIGHT = 55.0  # mm, the bars' area
THIS_WEEK_FILL = (1, 104, 155)  # the house blue (#01689b), solid
LAST_WEEK_FILL = (255, 255, 255)  # white with a dark outline: told apart by more than colour
OUTLINE = (60, 60, 60)
HEADING_FILL = (243, 245, 247)  # the screen's table-heading grey
# Relative column widths: text columns (names, examples) get more room than numbers.
TEXT_WEIGHT = 3.0
NUMBER_WEIGHT = 1.0


# Arabic letters, in the basic and supplement blocks. Questions from Syrian, Iraqi or Moroccan
# callers reach the report's examples and topic names in Arabic script.
ARABIC_LETTERS = re.compile("[\u0600-\u06ff\u0750-\u077f]")


def printable(text: object) -> str:
    """Text safe to print, with Arabic letters joined as they are written.

    fpdf2 orders right-to-left text itself (it applies the Unicode bidi algorithm), but it does
    not join Arabic letters: without shaping each letter prints in its isolated form.
    arabic-reshaper replaces them by their joined presentation forms (DejaVu Sans has them).
    python-bidi must not be added on top: it would reverse the order a second time.
    """
    cleaned = clean(text)
    return arabic_reshaper.reshape(cleaned) if ARABIC_LETTERS.search(cleaned) else cleaned


def render_report_pdf(report: WeeklyReport) -> bytes:
    """The weekly report as a Dutch A4 landscape PDF."""
    pdf = ReportPdf(report.title)
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()
    pdf.write_title(report.title)
    pdf.write_paragraph(introduction(report))
    pdf.write_table(report.tables[0])
    pdf.write_heading("Vragen per dag")
    pdf.draw_day_chart(report.days)
    for table in report.tables[1:]:
        pdf.write_table(table)
    return bytes(pdf.output())


def introduction(report: WeeklyReport) -> str:
    """When the report was made, what it covers, and that it holds no personal data."""
    text = (
        f"Gemaakt op {format_local(report.generated_at)}. Alle dagen in Nederlandse tijd. "
        "Het rapport bevat geen persoonsgegevens: voorbeeldvragen zijn ontdaan van namen, "
        "telefoonnummers en andere gegevens van personen."
    )
    if not report.is_complete:
        text += " Let op: deze week is nog niet voorbij, de cijfers zijn voorlopig."
    return text


def column_weights(table: Table) -> list[float]:
    """Relative widths: text wider than numbers."""
    return [NUMBER_WEIGHT if column.is_numeric else TEXT_WEIGHT for column in table.columns]


class ReportPdf(FPDF):
    """A4 landscape with the DejaVu fonts, Dutch metadata and page numbers."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.add_font(FONT_FAMILY, "", font_path("DejaVuSans.ttf"))
        self.add_font(FONT_FAMILY, "B", font_path("DejaVuSans-Bold.ttf"))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)
        self.set_subject("Weekrapport KCC-vragen (zonder persoonsgegevens)")
        self.set_creator("KCC-registratiesysteem")
        self.set_lang("nl-NL")
        self.alias_nb_pages()

    def footer(self) -> None:
        """Page x of y."""
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 5, f"Pagina {self.page_no()} van {{nb}}", align="C")

    def write_title(self, text: str) -> None:
        """The report's title."""
        self.set_font(FONT_FAMILY, "B", 15)
        self.multi_cell(0, 7, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def write_heading(self, text: str) -> None:
        """A section heading, with a bookmark; a new page when little room is left."""
        if self.get_y() > self.h - 45:
            self.add_page()
        self.ln(3)
        self.start_section(clean(text))  # bookmarks: the viewer shapes them itself
        self.set_font(FONT_FAMILY, "B", 11)
        self.multi_cell(0, 6, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def write_paragraph(self, text: str) -> None:
        """Running text."""
        self.set_font(FONT_FAMILY, size=9)
        self.multi_cell(
            0, LINE_HEIGHT, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(1)

    def write_table(self, table: Table) -> None:
        """A table with its caption as heading; its empty text when it has no rows."""
        self.write_heading(table.title)
        if not table.rows:
            self.write_paragraph(table.empty_text)
            return
        self.set_font(FONT_FAMILY, size=8)
        align = ["RIGHT" if column.is_numeric else "LEFT" for column in table.columns]
        with self.table(
            col_widths=column_weights(table),
            text_align=align,
            line_height=4.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
            repeat_headings=1,
        ) as pdf_table:
            heading = pdf_table.row()
            for header in table.headers:
                heading.cell(printable(header))
            for values in table.display_rows():
                row = pdf_table.row()
                for value in values:
                    row.cell(printable(value))

    def draw_day_chart(self, days: Sequence[tuple[date, DayCounts, DayCounts]]) -> None:
        """Bars per day: this week solid, the week before outlined, each with its number."""
        if self.get_y() + CHART_HEIGHT + 25 > self.page_break_trigger:
            self.add_page()
        highest = max([1, *(max(now.questions, before.questions) for _, now, before in days)])
        left, top = self.l_margin + 10, self.get_y() + 6
        width = self.w - self.l_margin - self.r_margin - 10
        slot = width / len(days)
        bar = slot * 0.3
        baseline = top + CHART_HEIGHT
        self.set_draw_color(*OUTLINE)
        self.set_line_width(0.2)
        self.line(left, baseline, left + width, baseline)
        self.set_font(FONT_FAMILY, size=7)
        for index, (day, now, before) in enumerate(days):
            x = left + index * slot + slot * 0.18
            for offset, value, fill in (
                (bar, before.questions, LAST_WEEK_FILL),
                (0.0, now.questions, THIS_WEEK_FILL),
            ):
                height = CHART_HEIGHT * value / highest
                self.set_fill_color(*fill)
                self.rect(x + offset, baseline - height, bar, height, style="DF")
                self.set_xy(x + offset - 2, baseline - height - 4)
                self.cell(bar + 4, 4, dutch_integer(value), align="C")
            self.set_xy(left + index * slot, baseline + 1)
            self.cell(slot, 4, day.strftime("%d-%m"), align="C")
        self.draw_legend(left, baseline + 7)

    def draw_legend(self, x: float, y: float) -> None:
        """Which bar is which, in words."""
        self.set_font(FONT_FAMILY, size=8)
        for fill, text in ((THIS_WEEK_FILL, "Deze week"), (LAST_WEEK_FILL, "Week eerder")):
            self.set_fill_color(*fill)
            self.rect(x, y + 0.8, 4, 3, style="DF")
            self.set_xy(x + 5, y)
            self.cell(30, 4.5, text)
            x += 40
        self.set_xy(self.l_margin, y + 8)
