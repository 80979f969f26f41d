"""The inzageverzoek (AVG art. 15) as a PDF a resident can read: the export dict laid out on A4.

Plain Python and fpdf2, no Flask: it takes what `export_subject_data` returns. The fonts are
DejaVu Sans shipped in `kcc/data/fonts`, because the PDF core fonts cover Latin-1 only and
residents write in Cyrillic, Arabic and more. Without a shaping engine (uharfbuzz) Arabic
letters print unjoined and left to right, in typing order: present, but hard to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from kcc.localtime import format_local
from kcc.privacy.retention import RetentionPolicy

FONT_FAMILY = "DejaVuSans"
TITLE = "Inzageverzoek: gegevens in het KCC-registratiesysteem"
LABEL_WIDTH = 42  # mm; the longest label ("Voorkeur contact") fits on one line
LINE_HEIGHT = 5.5  # mm at 10 pt
FOLLOW_UP_KINDS = {
    "telefoon": "Telefoongesprek",
    "notitie": "Notitie",
    "antwoord": "Antwoord",
    "e-mail": "E-mail",
}
# Carriage returns, tabs and other control characters from pasted text would show as boxes.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render_subject_pdf(
    export: Mapping[str, Any], *, retention: RetentionPolicy | None = None
) -> bytes:
    """The export of `export_subject_data` as a Dutch A4 PDF."""
    retention = retention or RetentionPolicy()
    exported_at = parse_moment(export["exported_at"])
    pdf = SubjectPdf()
    pdf.set_creation_date(exported_at)
    pdf.add_page()
    pdf.write_title(TITLE)
    pdf.write_field("Datum export", format_local(exported_at))
    pdf.write_paragraph(introduction(len(export["questions"]), retention))
    if not export["questions"]:
        pdf.write_paragraph(
            "Wij hebben in het KCC-registratiesysteem geen vragen of contactgegevens van u "
            "gevonden."
        )
    for question in export["questions"]:
        write_question(pdf, question)
    return bytes(pdf.output())


def introduction(count: int, retention: RetentionPolicy) -> str:
    """What the document contains and how long the data is kept, for the resident."""
    request = (
        "U heeft gevraagd welke gegevens het Klantcontactcentrum (KCC) over u vastlegt "
        "(artikel 15 van de Algemene verordening gegevensbescherming). "
    )
    contents = ""
    if count:
        found = "1 vraag" if count == 1 else f"{count} vragen"
        contents = (
            f"Dit overzicht bevat alles wat wij bewaren bij de vragen die wij van u vonden "
            f"({found}): wanneer en hoe u contact opnam, uw vraag en ons antwoord, uw "
            "contactgegevens, wat er met uw vraag is gebeurd en, als uw vraag is doorgezet, de "
            "stappen, telefoongesprekken, notities en e-mails. "
        )
    retention_periods = (
        f"Vragen bewaren wij {retention.questions} dagen na ontvangst. Contactgegevens "
        f"verwijderen wij eerder: in de regel na {retention.contact_details} dagen, maar niet "
        "zolang uw vraag nog in behandeling is."
    )
    return request + contents + retention_periods


def write_question(pdf: SubjectPdf, question: Mapping[str, Any]) -> None:
    """One question: its facts, texts, contact details, history and escalation."""
    pdf.start_question(f"Vraag {question['reference']}")
    pdf.write_field("Referentie", question["reference"])
    pdf.write_field("Ontvangen", format_moment(question["received_at"]))
    pdf.write_field("Kanaal", readable(question["channel"]))
    pdf.write_field("Gemeente", question["municipality"])
    pdf.write_field("Crisis", question["crisis"])
    pdf.write_field("Onderwerp", question.get("topic"))
    pdf.write_field("Status", readable(question.get("status")))
    pdf.write_text_block("Uw vraag", question["question"])
    pdf.write_text_block("Ons antwoord", question.get("answer") or "Geen antwoord vastgelegd.")

    pdf.write_subheading("Contactgegevens")
    contact = question.get("contact")
    if contact:
        pdf.write_field("Naam", contact.get("name"))
        pdf.write_field("Telefoon", contact.get("phone"))
        pdf.write_field("E-mailadres", contact.get("email"))
        pdf.write_field("Voorkeur contact", readable(contact.get("preferred_contact")))
    else:
        pdf.write_paragraph("Geen contactgegevens bewaard.")

    pdf.write_subheading("Geschiedenis")
    write_entries(pdf, question.get("history") or [], empty="Geen gebeurtenissen vastgelegd.")

    escalation = question.get("escalation")
    if escalation:
        write_escalation(pdf, escalation)


def write_escalation(pdf: SubjectPdf, escalation: Mapping[str, Any]) -> None:
    """A doorgezette vraag: state, deadline, reason, steps and follow-ups."""
    pdf.write_subheading("Doorgezet voor verdere behandeling")
    pdf.write_field("Status", readable(escalation.get("state")))
    pdf.write_field("Termijn", format_moment(escalation.get("deadline")))
    pdf.write_field("Reden", escalation.get("reason"))
    pdf.write_field("Eindantwoord", escalation.get("final_answer"))
    pdf.write_label("Stappen")
    write_entries(pdf, escalation.get("steps") or [], empty="Geen stappen vastgelegd.")
    pdf.write_label("Opvolging (gesprekken, notities, e-mails)")
    follow_ups = escalation.get("follow_ups") or []
    if not follow_ups:
        pdf.write_paragraph("Geen opvolging vastgelegd.")
    for follow_up in follow_ups:
        kind = FOLLOW_UP_KINDS.get(follow_up.get("kind") or "", readable(follow_up.get("kind")))
        pdf.write_field(format_moment(follow_up.get("at")), kind)
        pdf.write_field("Uitkomst", readable(follow_up.get("outcome")))
        pdf.write_field("Aan", follow_up.get("email_to"))
        pdf.write_field("Onderwerp", follow_up.get("email_subject"))
        pdf.write_field("Tekst", follow_up.get("text"))
        pdf.write_field("Verzendstatus", readable(follow_up.get("delivery_status")))
        pdf.ln(1.5)


def write_entries(pdf: SubjectPdf, entries: Iterable[Mapping[str, Any]], *, empty: str) -> None:
    """Dated lines such as the history: when, what, and any detail."""
    written = False
    for entry in entries:
        what = readable(entry.get("what"))
        detail = entry.get("detail")
        pdf.write_field(format_moment(entry.get("at")), f"{what}: {detail}" if detail else what)
        written = True
    if not written:
        pdf.write_paragraph(empty)


def parse_moment(value: str) -> datetime:
    """An ISO timestamp from the export; naive ones are UTC, as the database stores them."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_moment(value: str | None) -> str:
    """An ISO timestamp as Dutch local time (dd-mm-jjjj uu:mm)."""
    return format_local(parse_moment(value)) if value else ""


def readable(value: str | None) -> str:
    """A stored code such as "wacht_op_burger" as text: "Wacht op burger"."""
    return value.replace("_", " ").capitalize() if value else ""


def clean(text: object) -> str:
    """Text safe to print: line breaks normalised, control characters gone."""
    normalised = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return CONTROL_CHARACTERS.sub("", normalised)


def font_path(filename: str) -> Path:
    """A font shipped in kcc/data/fonts."""
    return Path(str(resources.files("kcc").joinpath("data", "fonts", filename)))


class SubjectPdf(FPDF):
    """A4 portrait with the DejaVu fonts, Dutch metadata and page numbers in the footer."""

    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(FONT_FAMILY, "", font_path("DejaVuSans.ttf"))
        self.add_font(FONT_FAMILY, "B", font_path("DejaVuSans-Bold.ttf"))
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)
        # Metadata without personal data or staff names: the file may be forwarded.
        self.set_title(TITLE)
        self.set_subject("Inzage in persoonsgegevens (artikel 15 AVG)")
        self.set_creator("KCC-registratiesysteem")
        self.set_lang("nl-NL")
        self.alias_nb_pages()

    def footer(self) -> None:
        """Page x of y, so a resident can tell the document is complete."""
        self.set_y(-15)
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 5, f"Pagina {self.page_no()} van {{nb}}", align="C")

    def write_title(self, text: str) -> None:
        self.set_font(FONT_FAMILY, "B", 16)
        self.multi_cell(0, 8, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def start_question(self, heading: str) -> None:
        """A new section, with a bookmark, on a fresh page when little room is left."""
        if self.get_y() > self.h - 60:
            self.add_page()
        self.ln(4)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(3)
        self.start_section(clean(heading))
        self.set_font(FONT_FAMILY, "B", 13)
        self.multi_cell(0, 7, clean(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def write_subheading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT_FAMILY, "B", 11)
        self.multi_cell(0, 6, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def write_label(self, text: str) -> None:
        self.set_font(FONT_FAMILY, "B", 10)
        self.multi_cell(0, LINE_HEIGHT, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def write_paragraph(self, text: str) -> None:
        # Word wrapping; fpdf2 breaks a word longer than the line (an IBAN, an e-mail
        # address, a pasted URL) between characters instead of running off the page.
        self.set_font(FONT_FAMILY, size=10)
        self.multi_cell(0, LINE_HEIGHT, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def write_text_block(self, label: str, text: str) -> None:
        """A long text (question, answer) under its own label, using the full width."""
        self.ln(1)
        self.write_label(label)
        self.write_paragraph(text)

    def write_field(self, label: str, value: object) -> None:
        """Label and value side by side; nothing when the value is empty."""
        if value is None or value == "":
            return
        top = self.get_y()
        if top + LINE_HEIGHT > self.page_break_trigger:
            self.add_page()
            top = self.get_y()
        self.set_font(FONT_FAMILY, "B", 10)
        label_height = self.multi_cell(
            LABEL_WIDTH,
            LINE_HEIGHT,
            clean(label),
            new_x=XPos.RIGHT,
            new_y=YPos.TOP,
            output=MethodReturnValue.HEIGHT,
        )
        label_bottom = self.page, top + label_height
        self.set_font(FONT_FAMILY, size=10)
        self.multi_cell(0, LINE_HEIGHT, clean(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        # A label on two lines next to a one-line value: continue below the label.
        if (self.page, self.get_y()) < label_bottom:
            self.set_y(label_bottom[1])
