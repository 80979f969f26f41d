"""The whole escalation path in real Chromium: agent escalates, coordinator assigns,
the specialist calls back and answers by e-mail (through a failing and then a working mail
server), and the item closes. Every screen on the way passes axe."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kcc.auth.models import User
from kcc.escalation.models import Escalation
from kcc.extensions import db
from kcc.intake.models import Question
from tests.browser.helpers import BrowserAuthActions, PageAudit
from tests.smtp_server import RejectingSmtpServer, SmtpServer, configure_mail

pytestmark = pytest.mark.browser

QUESTION = "Wanneer krijgt mijn gastgezin de vergoeding voor de maand november?"


def switch_user(page: Page, browser_auth: BrowserAuthActions, username: str) -> None:
    """Log out through the header button and log in as someone else."""
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    browser_auth.login(username)


def test_agent_escalates_coordinator_assigns_specialist_answers_by_email(
    app: Flask,
    page: Page,
    audit: PageAudit,
    browser_auth: BrowserAuthActions,
    smtp_server: SmtpServer,
    rejecting_smtp_server: RejectingSmtpServer,
) -> None:
    with app.app_context():
        specialist = db.session.execute(
            select(User).where(User.username == "specialist")
        ).scalar_one()
        specialist.email = "specialist@gemeente.test"
        db.session.commit()
    configure_mail(app, smtp_server)

    # The agent registers the question and escalates it, with the caller's e-mail address.
    browser_auth.login("agent")
    page.goto("/questions/new")
    page.get_by_label("Crisis").select_option(label="Opvang ontheemden uit Oekraïne")
    page.get_by_label("Vraag", exact=True).fill(QUESTION)
    page.get_by_label("Doorzetten naar coördinator").check()
    page.get_by_label("Naam").fill("Olena Kovalenko")
    page.get_by_label("E-mailadres").fill("olena@example.nl")
    page.get_by_label("E-mail", exact=True).check()
    page.get_by_label("Prioriteit bij doorzetten").select_option(label="Hoog")
    page.get_by_role("button", name="Opslaan").click()
    saved = page.get_by_role("status").filter(has_text="doorgezet naar de coördinator")
    expect(saved).to_be_visible()
    with app.app_context():
        question = db.session.execute(
            select(Question).where(Question.text == QUESTION)
        ).scalar_one()
        reference = question.reference or ""

    # The coordinator finds it in the queue and assigns it to the specialist.
    switch_user(page, browser_auth, "coordinator")
    page.get_by_role("link", name="Wachtrij").click()
    audit.assert_clean("queue")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Doorzetting {reference}")).to_be_visible()
    page.get_by_label("Behandelaar").select_option(label="Demo Vakspecialist (Publiekszaken)")
    page.get_by_role("button", name="Toewijzen", exact=True).click()
    expect(page.get_by_text("Toegewezen.")).to_be_visible()
    audit.assert_clean("item page, coordinator")
    assert smtp_server.wait_for(1)[0]["Subject"] == f"Nieuwe vraag voor u: {reference}"

    # The specialist starts, calls (voicemail), records the answer and mails it.
    switch_user(page, browser_auth, "specialist")
    page.get_by_role("link", name="Wachtrij").click()
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Start behandeling").click()
    expect(page.get_by_text("Status: In behandeling.")).to_be_visible()
    page.get_by_role("radio", name="Belpoging").check()
    page.get_by_label("Uitkomst van de belpoging").select_option(label="Voicemail")
    page.get_by_role("textbox", name="Notitie").fill("Ingesproken; ze krijgt ook een mail.")
    page.get_by_role("button", name="Vastleggen", exact=True).click()
    expect(page.get_by_text("Belpoging: Voicemail")).to_be_visible()
    page.get_by_role("textbox", name="Definitief antwoord").fill(
        "De vergoeding voor november wordt op 5 december overgemaakt."
    )
    page.get_by_role("button", name="Antwoord vastleggen").click()
    expect(page.get_by_text("Antwoord vastgelegd.")).to_be_visible()
    expect(page.get_by_label("Tekst", exact=True)).to_contain_text("5 december overgemaakt")
    expect(page.get_by_label("Aan")).to_have_value("olena@example.nl")

    configure_mail(app, rejecting_smtp_server)
    page.get_by_role("button", name="E-mail versturen").click()
    expect(page.get_by_text("Versturen mislukt: De mailserver weigerde")).to_be_visible()
    audit.assert_clean("item page after a failed e-mail")
    configure_mail(app, smtp_server)
    page.get_by_role("button", name="Opnieuw versturen").click()
    expect(page.get_by_text("E-mail alsnog verstuurd aan olena@example.nl.")).to_be_visible()
    mail = smtp_server.wait_for(2)[1]
    assert mail["To"] == "olena@example.nl" and reference in mail["Subject"]
    assert "5 december overgemaakt" in mail.get_content()

    page.get_by_role("button", name="Afsluiten").click()
    expect(page.get_by_text("Status: Afgesloten.")).to_be_visible()
    audit.assert_clean("closed item")
    with app.app_context():
        escalation = db.session.execute(
            select(Escalation).where(Escalation.question_id == question.id)
        ).scalar_one()
        assert escalation.state == "afgesloten" and escalation.priority == "hoog"
        assert escalation.question.answer == (
            "De vergoeding voor november wordt op 5 december overgemaakt."
        )
