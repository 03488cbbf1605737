"""A reply's whole article is rendered once per process for each different one
(discussions/articles.py): a remembered article must still be each reader's own, with their
controls and their CSRF token, and a changed reply must never come back as it was."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from discussions import articles, services
from discussions.presenters import reply_html_for_viewer

pytestmark = pytest.mark.django_db

TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _no_remembered_articles():
    articles._rendered.clear()
    yield
    articles._rendered.clear()


def reader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reply_article(html: str, number: int) -> str:
    start = html.rindex("<article", 0, html.index(f'id="reply-{number}"'))
    return html[start : html.index("</article>", start) + len("</article>")]


def test_each_reader_gets_their_own_controls_from_a_remembered_article(member, other_member, outsider, start):
    discussion = start()
    services.reply_create(author=member, discussion=discussion, body="Rest before you crash.")

    for _ in range(2):  # the second time every article is remembered
        own = reply_article(reader(member).get(discussion.get_absolute_url()).content.decode(), 1)
        others = reply_article(reader(outsider).get(discussion.get_absolute_url()).content.decode(), 1)
        assert "reply-own" in own and "Edit<span" in own and "Report<span" not in own
        assert "reply-own" not in others and "Edit<span" not in others and "Report<span" in others


def test_the_token_in_a_remembered_article_is_each_readers_own(member, other_member, outsider, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Rest before you crash.")
    first, second = reader(member), reader(outsider)

    first_page = reply_article(first.get(discussion.get_absolute_url()).content.decode(), 1)
    second_page = reply_article(second.get(discussion.get_absolute_url()).content.decode(), 1)

    first_tokens, second_tokens = set(TOKEN_FIELD.findall(first_page)), set(TOKEN_FIELD.findall(second_page))
    assert len(first_tokens) == 1 and len(second_tokens) == 1
    assert first_tokens != second_tokens
    assert articles.TOKEN_SLOT not in first_page + second_page
    assert len(articles._rendered) == 1  # one article, both readers' pages


def test_a_visitor_gets_no_token_and_no_cookie(member, start):
    discussion = start()
    services.reply_create(author=member, discussion=discussion, body="Rest before you crash.")

    response = Client().get(discussion.get_absolute_url())

    assert "csrfmiddlewaretoken" not in reply_article(response.content.decode(), 1)
    assert "csrftoken" not in response.cookies


def test_a_live_frame_leaves_the_token_to_the_page(member, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Rest before you crash.")
    reader(member).get(discussion.get_absolute_url())  # the page's article, with a token, remembered

    frame = reply_html_for_viewer(viewer=member, discussion=discussion, number=1)

    assert "reaction-form" in frame
    assert "csrfmiddlewaretoken" not in frame and articles.TOKEN_SLOT not in frame


def test_an_edit_shows_at_once_and_a_remembered_article_is_not_rendered_again(member, other_member, start):
    discussion = start()
    reply = services.reply_create(author=member, discussion=discussion, body="Rest before you crash.")
    page = reader(other_member)
    page.get(discussion.get_absolute_url())
    remembered = dict(articles._rendered)

    page.get(discussion.get_absolute_url())
    assert dict(articles._rendered) == remembered

    services.reply_edit(acting_user=member, reply=reply, body="Rest long before you crash.")
    assert "Rest long before you crash." in reply_article(page.get(discussion.get_absolute_url()).content.decode(), 1)


def test_a_viewer_without_a_request_gets_the_same_article_as_the_page_less_its_token(member, other_member, start):
    discussion = start()
    services.reply_create(author=other_member, discussion=discussion, body="Rest before you crash.")

    frame = reply_html_for_viewer(viewer=AnonymousUser(), discussion=discussion, number=1)
    page = reply_article(Client().get(discussion.get_absolute_url()).content.decode(), 1)

    assert frame.strip().startswith("<article") and page in frame
