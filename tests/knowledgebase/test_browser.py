"""The public help centre and the contact form as a customer uses them: Debian's Chromium driven by
Playwright against pytest-django's live server (tests/browser.py). Without /usr/bin/chromium these tests
are skipped, never reported as passing.

Covered: /help/ (the promises, each category's answers, no drafts, a way to a person), an article (its
rendered Markdown, canonical link, "Was this helpful?" through htmx, "Contact us" carrying the title),
search (a misspelt word corrected, nothing found, pages of results), the contact form's suggestions
while the subject is typed and the ticket it opens, and /help/ on a phone.
"""

import re

import pytest

from knowledgebase.models import Article, SearchQuery, Vote
from tests.browser import needs_chromium, new_page, wait_until
from tests.knowledgebase.factories import ArticleFactory, CategoryFactory
from tickets.models import Message, Ticket

PHONE = {"width": 390, "height": 844}

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def help_centre():
    """A returns promise, two categories with two answers each, and a draft nobody may see yet."""
    delivery = CategoryFactory(name="Delivery", slug="delivery", position=1)
    money = CategoryFactory(name="Money back", slug="money-back", position=2)
    returns = ArticleFactory(
        title="Our 30-day returns promise",
        summary="Send anything back within 30 days of delivery, free of charge.",
        body="Open your order on the tracking page and choose what to send back.",
        kind=Article.Kind.POLICY,
        policy=Article.Policy.RETURNS,
        category=money,
    )
    parcel = ArticleFactory(
        title="Where is my parcel?",
        summary="Follow it with the tracking link in your shipping email.",
        body=(
            "Most parcels arrive in **two to four working days**.\n\n"
            "| Carrier | Working days |\n"
            "|---|---|\n"
            "| DHL | 2-3 |\n"
            "| UPS | 1-2 |\n\n"
            "If it is late:\n\n"
            "1. Open the tracking link.\n"
            "2. Check the safe place you chose.\n"
        ),
        category=delivery,
    )
    slots = ArticleFactory(
        title="Choosing a delivery slot",
        summary="Weekday evenings or Saturday mornings.",
        body="Pick a slot at checkout.",
        category=delivery,
    )
    refunds = ArticleFactory(
        title="How refunds work",
        summary="We refund the card you paid with within five working days.",
        body="The money goes back the way it came.",
        category=money,
    )
    cancelling = ArticleFactory(
        title="Cancelling an order",
        summary="Before it ships, at no cost.",
        body="Once we cancel it, a refund follows.",
        category=money,
    )
    draft = ArticleFactory(
        title="Gift cards are coming",
        body="Not announced yet.",
        status=Article.Status.DRAFT,
        category=money,
    )
    return {
        "returns": returns,
        "parcel": parcel,
        "slots": slots,
        "refunds": refunds,
        "cancelling": cancelling,
        "draft": draft,
    }


def still_need_help(page):
    """The "Still need help?" box (the header has a "Contact us" link of its own)."""
    return page.get_by_role("complementary", name="Still need help?")


def test_help_home_shows_the_promises_each_categorys_answers_and_a_way_to_a_person(
    page, live_server, help_centre
):
    # Given a published returns promise, two categories of answers and a draft
    # When a customer opens the help centre
    page.goto(f"{live_server.url}/help/")

    # Then the promise comes under "Our promises", linking to its page
    promises = page.get_by_role("region", name="Our promises")
    promise = promises.get_by_role("link", name=re.compile("Our 30-day returns promise"))
    assert promise.is_visible()
    assert promise.get_attribute("href") == help_centre["returns"].get_absolute_url()
    # and each category lists its own answers
    delivery = page.locator(".kb-category").filter(has=page.get_by_role("heading", name="Delivery"))
    money = page.locator(".kb-category").filter(has=page.get_by_role("heading", name="Money back"))
    assert sorted(delivery.locator(".kb-list a").all_inner_texts()) == [
        "Choosing a delivery slot",
        "Where is my parcel?",
    ]
    assert "How refunds work" in money.locator(".kb-list a").all_inner_texts()
    assert "Cancelling an order" in money.locator(".kb-list a").all_inner_texts()
    # and the "Still need help?" box leads to the contact form
    contact = still_need_help(page).get_by_role("link", name="Contact us")
    assert contact.is_visible()
    assert contact.get_attribute("href") == "/contact/"
    # and the draft is nowhere
    assert "Gift cards are coming" not in page.locator("body").inner_text()
    assert help_centre["draft"].get_absolute_url() not in page.content()


def test_an_article_reads_well_takes_a_vote_in_place_and_hands_over_to_the_contact_form(
    page, live_server, help_centre
):
    parcel = help_centre["parcel"]
    # Given the help centre
    page.goto(f"{live_server.url}/help/")

    # When the customer clicks an answer's title
    page.locator(".kb-category").get_by_role("link", name="Where is my parcel?").click()
    page.wait_for_load_state()

    # Then its page shows the Markdown rendered: bold, a table and a numbered list, no raw syntax
    assert page.url == f"{live_server.url}{parcel.get_absolute_url()}"
    assert page.get_by_role("heading", name="Where is my parcel?", level=1).is_visible()
    body = page.locator(".kb-body")
    assert body.locator("strong", has_text="two to four working days").is_visible()
    assert body.locator("table th").all_inner_texts() == ["Carrier", "Working days"]
    assert body.locator("table tbody tr").count() == 2
    assert body.locator("td", has_text="DHL").is_visible()
    assert body.locator("ol > li").all_inner_texts() == [
        "Open the tracking link.",
        "Check the safe place you chose.",
    ]
    assert "|---|" not in body.inner_text()
    assert "**" not in body.inner_text()
    # and the canonical link names this article
    canonical = page.locator("link[rel=canonical]")
    assert canonical.count() == 1
    assert canonical.get_attribute("href").endswith(parcel.get_absolute_url())

    # When they answer "No" to "Was this helpful?"
    page.evaluate("window.stillTheSamePage = true")
    page.locator("#vote").get_by_role("button", name="No").click()

    # Then the form gives way to the thanks, in place: no new page was loaded
    thanks = page.locator("#vote").get_by_text("Thanks for telling us")
    thanks.wait_for()
    assert page.locator("#vote form").count() == 0
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.url == f"{live_server.url}{parcel.get_absolute_url()}"
    # and the vote is kept as unhelpful, counted on the article
    recorded = Vote.objects.get()
    assert (recorded.article_id, recorded.helpful) == (parcel.pk, False)
    parcel.refresh_from_db()
    assert (parcel.helpful_count, parcel.unhelpful_count) == (0, 1)

    # When they still need help
    still_need_help(page).get_by_role("link", name="Contact us").click()
    page.wait_for_load_state()

    # Then the contact form opens with the article's title as the subject
    assert page.url == f"{live_server.url}/contact/?q=Where%20is%20my%20parcel%3F"
    assert page.get_by_label("What is it about?").input_value() == "Where is my parcel?"


def test_search_corrects_a_misspelt_word_and_offers_a_person_when_nothing_answers(
    page, live_server, help_centre
):
    # Given the help centre
    page.goto(f"{live_server.url}/help/")

    # When the customer searches for a misspelt word
    page.get_by_label("Search the help centre").fill("refnud")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()

    # Then the results say what was searched for instead, with the best answer first
    assert page.url.startswith(f"{live_server.url}/help/search/?q=refnud")
    assert page.locator(".kb-corrected").inner_text() == "Showing results for refund"
    titles = page.locator(".kb-results > li > a").all_inner_texts()
    assert titles[0] == "How refunds work"
    assert "Cancelling an order" in titles
    assert "Where is my parcel?" not in titles
    assert SearchQuery.objects.get(text="refnud").corrected_to == "refund"

    # When they search for something no article answers
    search_box = page.get_by_label("Search the help centre")
    search_box.fill("bitcoin wallet")
    search_box.press("Enter")
    page.wait_for_load_state()

    # Then they are told so, and offered a person with their question carried over
    assert "We found no answer to that yet" in page.locator(".kb-results").inner_text()
    assert page.locator(".kb-results > li > a").count() == 0
    contact = still_need_help(page).get_by_role("link", name="Contact us")
    assert contact.get_attribute("href") == "/contact/?q=bitcoin%20wallet"
    contact.click()
    page.wait_for_load_state()
    assert page.get_by_label("What is it about?").input_value() == "bitcoin wallet"


def test_search_results_come_ten_to_a_page(page, live_server):
    # Given twelve answers about vouchers and one about something else
    titles = {f"Voucher question {number}" for number in range(12)}
    for title in sorted(titles):
        ArticleFactory(title=title, body="Everything about vouchers.")
    ArticleFactory(title="Gift wrapping", body="Paper and a ribbon.")

    # When the customer searches for them
    page.goto(f"{live_server.url}/help/search/?q=voucher")

    # Then the first page holds ten, and says there are twelve
    first = page.locator(".kb-results > li > a").all_inner_texts()
    assert len(first) == 10
    assert "12 results" in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name="Previous").count() == 0

    # When they go to the next page
    page.get_by_role("link", name="Next").click()
    page.wait_for_load_state()

    # Then it holds the remaining two, numbered on from the first page, and no further page
    second = page.locator(".kb-results > li > a").all_inner_texts()
    assert len(second) == 2
    assert set(first) | set(second) == titles
    assert not set(first) & set(second)
    assert page.locator(".kb-results").get_attribute("start") == "11"
    assert page.get_by_role("link", name="Previous").is_visible()
    assert page.get_by_role("link", name="Next").count() == 0


def test_the_contact_form_suggests_answers_while_the_subject_is_typed_then_opens_a_ticket(
    page, live_server, help_centre
):
    # Given the contact form
    page.goto(f"{live_server.url}/contact/")
    subject = page.get_by_label("What is it about?")
    suggestions = page.locator("#suggestions")

    # When the customer types the subject slowly, pausing once along the way
    with page.expect_response(lambda response: "/contact/suggestions/" in response.url) as paused:
        subject.press_sequentially("where is", delay=60)
    assert paused.value.ok
    wait_until(page, "document.getElementById('id_search_id').value !== ''")
    with page.expect_response(
        lambda response: "/contact/suggestions/" in response.url and "parc" in response.url
    ) as finished:
        subject.press_sequentially(" my parc", delay=60)
    assert finished.value.ok

    # Then the answer about parcels is suggested under the field, and nothing unrelated
    suggestions.get_by_role("link", name="Where is my parcel?").wait_for()
    assert suggestions.get_by_role("link").all_inner_texts() == ["Where is my parcel?"]
    assert "These answers may help right away" in suggestions.inner_text()

    # When they write to us all the same
    page.get_by_label("Your name").fill("Mira Holt")
    page.get_by_label("Email address").fill("mira.holt@mail.example")
    page.get_by_label("Your message").fill("Ordered on the 2nd; nothing has come and tracking is silent.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()

    # Then the thanks page gives the request's reference
    assert page.url == f"{live_server.url}/contact/sent/"
    assert page.get_by_role("heading", name="Thank you: we have your request").is_visible()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"CR-\d{6}", reference)
    # and a web ticket with that reference holds what they wrote
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.channel == "web"
    assert ticket.subject == "where is my parc"
    assert ticket.customer.email == "mira.holt@mail.example"
    # and an acknowledgement with the reference and the suggested answer is on its way
    acknowledgement = ticket.messages.get(kind=Message.Kind.AUTO_REPLY)
    assert acknowledgement.delivery in (Message.Delivery.PENDING, Message.Delivery.SENT)
    assert acknowledgement.to_address == "mira.holt@mail.example"
    assert reference in acknowledgement.text
    assert "- Where is my parcel?" in acknowledgement.text
    # and the typing was logged as one search, which ended in a ticket
    typed = SearchQuery.objects.get(source=SearchQuery.Source.CONTACT)
    assert typed.text == "where is my parc"
    assert typed.escalated is True


def test_the_help_centre_fits_a_phone(browser, live_server, help_centre):
    # Given a phone-sized screen
    with new_page(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True) as phone:
        # When the customer opens the help centre
        phone.goto(f"{live_server.url}/help/")

        # Then it is all there and nothing is wider than the phone: no sideways scrolling
        assert phone.get_by_role("heading", name="How can we help?").is_visible()
        assert phone.get_by_label("Search the help centre").is_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
