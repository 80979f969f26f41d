"""The public FAQ: only live text, per municipality and language, cacheable, votes, JSON feed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kcc.extensions import db
from kcc.faq import editorial
from kcc.faq.models import FaqEntry, FaqVote
from kcc.faq.public import vote_counts
from tests.faq.conftest import PublishEntry, entry_input_for, find_user
from tests.helpers import AuthActions

LEEFGELD_Q = "Wanneer krijg ik leefgeld?"
LEEFGELD_A = "U krijgt het leefgeld elke twee weken.\n\n- Op vrijdag\n- Op uw eigen rekening"
SCHOOL_Q = "Mag mijn kind naar school?"
SCHOOL_A = "Ja, elk kind mag naar school. Meld uw kind aan bij de gemeente."
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
# A crisis of the tests' own: the demo publishes entries in corona and oekraine.
CRISIS = "opvang-test"


@pytest.fixture
def publish(publish_entry: PublishEntry, new_crisis: Callable[..., str]) -> PublishEntry:
    """Publish entries in the tests' own crisis (other crises on request)."""
    new_crisis(CRISIS)

    def publish_here(question: str, answer: str, **details: object) -> int:
        details.setdefault("crisis", CRISIS)
        return publish_entry(question, answer, **details)

    return publish_here


def page_text(client: FlaskClient, url: str) -> str:
    """GET a page that must exist and return its HTML."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_public_pages_need_no_login_and_set_no_cookie(
    client: FlaskClient, publish: PublishEntry
) -> None:
    entry_id = publish(LEEFGELD_Q, LEEFGELD_A, topic="leefgeld")

    for url in (
        "/faq/",
        f"/faq/{CRISIS}/",
        f"/faq/{CRISIS}/vraag/{entry_id}",
        "/faq/toegankelijkheid",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert "Uitloggen" not in response.get_data(as_text=True)
        assert "Hoofdmenu" not in response.get_data(as_text=True)


def test_crises_list_shows_only_crises_with_public_entries(
    client: FlaskClient, publish: PublishEntry, new_crisis: Callable[..., str]
) -> None:
    publish(LEEFGELD_Q, LEEFGELD_A)
    new_crisis("nog-leeg", "Crisis zonder antwoorden")

    html = page_text(client, "/faq/")

    assert f'href="/faq/{CRISIS}/"' in html
    assert 'href="/faq/nog-leeg/"' not in html and "Crisis zonder antwoorden" not in html
    assert client.get("/faq/onbekend/").status_code == 404


def test_the_page_shows_the_live_text_grouped_by_topic_never_the_working_copy(
    app: Flask, client: FlaskClient, publish: PublishEntry
) -> None:
    leefgeld = publish(LEEFGELD_Q, LEEFGELD_A, topic="leefgeld")
    general = publish(SCHOOL_Q, SCHOOL_A)
    with app.app_context():
        # An editor improves the published entry; until it is published again, the public
        # keeps reading the approved text.
        entry = db.session.get(FaqEntry, leefgeld)
        assert entry is not None
        data = entry_input_for(CRISIS, "NIEUWE VRAAG", "CONCEPTTEKST", topic="leefgeld")
        editorial.update_entry(
            leefgeld, data, user=find_user("coordinator"), seen_version=entry.version
        )
        editorial.create_entry(
            entry_input_for(CRISIS, "Nooit gepubliceerd?", "Nee."),
            user=find_user("coordinator"),
        )

    html = page_text(client, f"/faq/{CRISIS}/")

    assert LEEFGELD_Q in html and "<li>Op vrijdag</li>" in html
    assert "NIEUWE VRAAG" not in html and "CONCEPTTEKST" not in html
    assert "Nooit gepubliceerd" not in html
    assert f'id="vraag-{leefgeld}"' in html and f'id="vraag-{general}"' in html
    # Topics in name order, entries without a topic under "Algemeen".
    headings = re.findall(r'<h2 id="onderwerp-[^"]+">([^<]+)</h2>', html)
    assert headings[0] == "Algemeen" and headings == sorted(headings)
    main = html[html.index("<main") :]
    assert main.index(SCHOOL_Q) < main.index(f">{headings[1]}</h2>") < main.index(LEEFGELD_Q)


def test_a_withdrawn_entry_leaves_the_page_and_its_own_url(
    app: Flask, client: FlaskClient, publish: PublishEntry
) -> None:
    entry_id = publish(LEEFGELD_Q, LEEFGELD_A)
    assert LEEFGELD_Q in page_text(client, f"/faq/{CRISIS}/")
    with app.app_context():
        entry = db.session.get(FaqEntry, entry_id)
        assert entry is not None
        editorial.take_action(
            entry_id,
            "withdraw",
            user=find_user("analyst"),
            seen_version=entry.version,
            reason="Regeling gestopt",
        )

    assert LEEFGELD_Q not in page_text(client, f"/faq/{CRISIS}/")
    assert client.get(f"/faq/{CRISIS}/vraag/{entry_id}").status_code == 404
    assert f'href="/faq/{CRISIS}/"' not in page_text(client, "/faq/")


def test_a_municipal_entry_replaces_the_regional_one_on_that_municipalitys_page(
    client: FlaskClient, publish: PublishEntry
) -> None:
    regional = publish(LEEFGELD_Q, LEEFGELD_A)
    publish(SCHOOL_Q, SCHOOL_A)
    huizen = publish(
        LEEFGELD_Q, "In Huizen betalen we op maandag.", municipality="GM0406", replaces=regional
    )
    hilversum_only = publish(
        "Waar is het loket in Hilversum?", "Op het Dudokpark.", municipality="GM0402"
    )

    region = page_text(client, f"/faq/{CRISIS}/")
    in_huizen = page_text(client, f"/faq/{CRISIS}/?gemeente=GM0406")
    in_laren = page_text(client, f"/faq/{CRISIS}/?gemeente=GM0417")

    assert f'id="vraag-{regional}"' in region and f'id="vraag-{huizen}"' not in region
    assert f'id="vraag-{hilversum_only}"' not in region
    assert f'id="vraag-{huizen}"' in in_huizen and f'id="vraag-{regional}"' not in in_huizen
    assert "op maandag" in in_huizen and SCHOOL_Q in in_huizen
    assert f'id="vraag-{regional}"' in in_laren and "op maandag" not in in_laren
    # The region's page offers the municipalities that have answers of their own.
    assert "?gemeente=GM0406" in region and "?gemeente=GM0402" in region
    assert client.get(f"/faq/{CRISIS}/?gemeente=GM9999").status_code == 404


def test_search_matches_question_and_answer_in_any_case(
    client: FlaskClient, publish: PublishEntry
) -> None:
    publish(LEEFGELD_Q, LEEFGELD_A)
    publish(SCHOOL_Q, SCHOOL_A)

    by_answer = page_text(client, f"/faq/{CRISIS}/?q=VRIJDAG")
    by_two_words = page_text(client, f"/faq/{CRISIS}/?q=kind+gemeente")
    nothing = page_text(client, f"/faq/{CRISIS}/?q=zorgverzekering")

    assert LEEFGELD_Q in by_answer and SCHOOL_Q not in by_answer
    assert SCHOOL_Q in by_two_words and LEEFGELD_Q not in by_two_words
    assert "0 vragen gevonden" in nothing and LEEFGELD_Q not in nothing


def test_a_translated_page_marks_each_entry_with_its_language(
    client: FlaskClient, publish: PublishEntry
) -> None:
    translated = publish(
        LEEFGELD_Q,
        LEEFGELD_A,
        translations={
            "en": ("When do I get my living allowance?", "Every two weeks, on Friday."),
            "uk": ("Коли я отримаю гроші на проживання?", "Кожні два тижні, у п'ятницю."),
        },
    )
    dutch_only = publish(SCHOOL_Q, SCHOOL_A)

    english = page_text(client, f"/faq/{CRISIS}/?taal=en")
    dutch = page_text(client, f"/faq/{CRISIS}/")
    entry_page = page_text(client, f"/faq/{CRISIS}/vraag/{translated}?taal=uk")

    assert f'id="vraag-{translated}" lang="en"' in english
    assert "When do I get my living allowance?" in english
    assert f'id="vraag-{dutch_only}" lang="nl"' in english and SCHOOL_Q in english
    assert "When do I get" not in dutch
    # The language switch names each language in itself, marked with its language.
    assert 'lang="uk" hreflang="uk"' in dutch and ">Українська</a>" in dutch
    assert 'lang="uk"' in entry_page and "Кожні два тижні" in entry_page
    assert '<html lang="nl">' in english


def test_pages_are_conditional_and_change_when_the_faq_changes(
    client: FlaskClient, publish: PublishEntry
) -> None:
    publish(LEEFGELD_Q, LEEFGELD_A, now=datetime(2026, 3, 3, 9, 0, tzinfo=UTC))

    first = client.get(f"/faq/{CRISIS}/")
    etag = first.headers["ETag"]
    again = client.get(f"/faq/{CRISIS}/", headers={"If-None-Match": etag})
    publish(SCHOOL_Q, SCHOOL_A)
    after_change = client.get(f"/faq/{CRISIS}/", headers={"If-None-Match": etag})

    assert first.headers["Last-Modified"] == "Tue, 03 Mar 2026 09:00:00 GMT"
    assert "Laatst gewijzigd: 3 maart 2026" in first.get_data(as_text=True)
    assert again.status_code == 304 and again.get_data() == b""
    assert after_change.status_code == 200 and after_change.headers["ETag"] != etag
    assert SCHOOL_Q in after_change.get_data(as_text=True)


def test_the_page_carries_faqpage_json_ld_of_what_it_shows(
    client: FlaskClient, publish: PublishEntry
) -> None:
    publish(LEEFGELD_Q, "Lees [de regeling](https://www.rijksoverheid.nl/leefgeld).")
    publish("Wat als </script><script>alert(1)</script>?", "Dat mag niet werken.")

    html = page_text(client, f"/faq/{CRISIS}/")
    found = JSON_LD.findall(html)

    assert len(found) == 1
    data = json.loads(found[0])
    assert data["@type"] == "FAQPage"
    questions = {item["name"]: item["acceptedAnswer"]["text"] for item in data["mainEntity"]}
    assert questions[LEEFGELD_Q] == "Lees de regeling."
    assert "<script>alert" not in found[0]  # escaped inside the data block


def test_a_vote_is_counted_anonymously_and_thanked_without_a_session(
    app: Flask, client: FlaskClient, publish: PublishEntry
) -> None:
    entry_id = publish(LEEFGELD_Q, LEEFGELD_A)
    url = f"/faq/{CRISIS}/vraag/{entry_id}/nuttig"

    from_list = client.post(url + "?terug=lijst&taal=en", data={"nuttig": "ja"})
    from_entry = client.post(url, data={"nuttig": "nee"})
    client.post(url, data={"nuttig": "ja"})
    thanked = client.get(from_entry.headers["Location"])

    assert from_list.status_code == 303
    assert from_list.headers["Location"] == (
        f"/faq/{CRISIS}/?bedankt={entry_id}&taal=en#vraag-{entry_id}"
    )
    assert "Set-Cookie" not in from_list.headers and "Set-Cookie" not in thanked.headers
    assert "Bedankt voor uw reactie" in thanked.get_data(as_text=True)
    assert "Was dit antwoord nuttig?" not in thanked.get_data(as_text=True)
    with app.app_context():
        assert vote_counts([entry_id, 999]) == {entry_id: (2, 1), 999: (0, 0)}
        assert db.session.scalar(select(func.count()).select_from(FaqVote)) == 3


def test_votes_for_unpublished_entries_or_without_an_answer_are_refused(
    app: Flask, client: FlaskClient, publish: PublishEntry
) -> None:
    public_id = publish(LEEFGELD_Q, LEEFGELD_A)
    with app.app_context():
        draft = editorial.create_entry(
            entry_input_for(CRISIS, SCHOOL_Q, SCHOOL_A), user=find_user("coordinator")
        )
        draft_id = draft.id

    assert (
        client.post(f"/faq/{CRISIS}/vraag/{draft_id}/nuttig", data={"nuttig": "ja"}).status_code
        == 404
    )
    assert (
        client.post(f"/faq/corona/vraag/{public_id}/nuttig", data={"nuttig": "ja"}).status_code
        == 404
    )
    assert client.post(f"/faq/{CRISIS}/vraag/{public_id}/nuttig", data={}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FaqVote)) == 0


def test_votes_are_rate_limited(app: Flask, client: FlaskClient, publish: PublishEntry) -> None:
    app.config["FAQ_VOTE_RATE_LIMIT"] = "3 per minute"
    entry_id = publish(LEEFGELD_Q, LEEFGELD_A)
    url = f"/faq/{CRISIS}/vraag/{entry_id}/nuttig"

    statuses = [client.post(url, data={"nuttig": "ja"}).status_code for _ in range(4)]

    assert statuses == [303, 303, 303, 429]


def test_a_logged_in_visitors_page_is_kept_out_of_shared_caches(
    client: FlaskClient, auth: AuthActions, publish: PublishEntry
) -> None:
    publish(LEEFGELD_Q, LEEFGELD_A)
    auth.login("coordinator")

    response = client.get(f"/faq/{CRISIS}/")

    assert response.status_code == 200
    assert "public" not in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]


def test_the_json_feed_needs_no_token_and_shows_the_live_entries(
    client: FlaskClient, publish: PublishEntry
) -> None:
    regional = publish(
        LEEFGELD_Q,
        "Zie [de regeling](https://www.rijksoverheid.nl/leefgeld).",
        topic="leefgeld",
        translations={"en": ("When do I get my allowance?", "Every two weeks.")},
    )
    huizen = publish(SCHOOL_Q, SCHOOL_A, municipality="GM0406", replaces=regional)

    feed = client.get(f"/api/v1/faq?crisis={CRISIS}")
    in_huizen = client.get(f"/api/v1/faq?crisis={CRISIS}&gemeente=GM0406").get_json()
    english = client.get(f"/api/v1/faq?crisis={CRISIS}&taal=en").get_json()
    unchanged = client.get(
        f"/api/v1/faq?crisis={CRISIS}", headers={"If-None-Match": feed.headers["ETag"]}
    )

    assert feed.status_code == 200 and feed.headers["Cache-Control"] == "public, max-age=60"
    body = feed.get_json()
    assert body["crisis"]["code"] == CRISIS and body["municipality"] is None
    [entry] = body["entries"]
    assert entry["id"] == regional and entry["question"] == LEEFGELD_Q
    assert entry["answer"] == "Zie de regeling."
    assert entry["answer_html"] == (
        '<p>Zie <a href="https://www.rijksoverheid.nl/leefgeld">de regeling</a>.</p>'
    )
    assert entry["topic"]["code"] == "leefgeld" and entry["languages"] == ["nl", "en"]
    assert entry["url"] == f"http://localhost/faq/{CRISIS}/vraag/{regional}"
    assert entry["last_changed"].startswith("20")
    assert [e["id"] for e in in_huizen["entries"]] == [huizen]
    assert in_huizen["entries"][0]["municipality"] == {"cbs_code": "GM0406", "name": "Huizen"}
    assert english["entries"][0]["question"] == "When do I get my allowance?"
    assert unchanged.status_code == 304


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("?crisis=", 400),
        ("?crisis=onbekend", 404),
        (f"?crisis={CRISIS}&gemeente=GM9999", 404),
        (f"?crisis={CRISIS}&taal=fr", 400),
    ],
)
def test_the_json_feed_explains_bad_requests(
    client: FlaskClient, demo: None, query: str, status: int
) -> None:
    response = client.get(f"/api/v1/faq{query}")

    assert response.status_code == status
    assert response.get_json()["errors"]


def test_the_accessibility_statement_says_how_the_pages_were_tested(client: FlaskClient) -> None:
    html = page_text(client, "/faq/toegankelijkheid")

    assert "<h1>Toegankelijkheidsverklaring</h1>" in html
    for part in ("Status", "axe-core", "toetsenbord", "Wat werkt nog niet goed?", "WCAG 2.1"):
        assert part in html
