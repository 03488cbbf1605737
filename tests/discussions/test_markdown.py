"""The sanitiser against the XS-01 corpus, the DoS inputs of IV-01, and hashtag links."""

import time
from html.parser import HTMLParser

import pytest

from discussions.markdown import (
    ALLOWED_TAGS,
    LINK_REL,
    MAX_BODY_LENGTH,
    markdown_problem,
    render_markdown,
)
from tests.helpers.xss import XSS_CORPUS

SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def no_hashtags(names):
    return {}


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_it_leaves_no_active_content_in_an_xss_payload(payload):
    html = render_markdown(payload, resolve_hashtags=no_hashtags)
    found = parse(html)

    assert set(found.tags) <= ALLOWED_TAGS
    for _tag, name, value in found.attributes:
        assert not name.startswith("on"), (payload, html)
        assert name in ("href", "rel", "start"), (payload, html)
        if name == "href":
            assert value.startswith(SAFE_SCHEMES) or ":" not in value.split("/")[0], (payload, html)
            assert "javascript" not in value.lower().replace(" ", "")
        if name == "rel":
            assert value == LINK_REL
    assert "<script" not in html.lower()


def test_the_corpus_is_at_least_twenty_five_payloads():
    assert len(XSS_CORPUS) >= 25


def test_it_escapes_raw_html_as_text():
    assert render_markdown("<b>bold</b> & <i>", resolve_hashtags=no_hashtags) == (
        "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;</p>"
    )


def test_it_keeps_the_safe_subset_and_marks_links():
    html = render_markdown(
        "## Heading\n\n*soft* **strong** `code`\n\n> quoted\n\n- one\n- two\n\n[site](https://example.org) "
        "[mail](mailto:a@example.org) [here](/c/mecfs/)",
        resolve_hashtags=no_hashtags,
    )

    assert "<h4>Heading</h4>" in html  # page headings come first: h1 title, h2 sections
    assert "<em>soft</em>" in html and "<strong>strong</strong>" in html and "<code>code</code>" in html
    assert "<blockquote>" in html and "<li>one</li>" in html
    assert f'<a href="https://example.org" rel="{LINK_REL}">site</a>' in html
    assert f'<a href="mailto:a@example.org" rel="{LINK_REL}">mail</a>' in html
    assert f'<a href="/c/mecfs/" rel="{LINK_REL}">here</a>' in html


def test_it_shows_images_as_text_never_as_img():
    html = render_markdown("![x-ray](https://example.org/x.png)", resolve_hashtags=no_hashtags)

    assert "<img" not in html
    assert "x-ray" in html


def test_it_strips_id_name_class_and_style_attributes():
    html = render_markdown("```python\nprint(1)\n```", resolve_hashtags=no_hashtags)

    assert "class=" not in html and "<pre><code>" in html


# The speed target (under 200 ms for the worst allowed post) is measured by
# `python -m bench.markdown_render`; this ceiling only catches a super-linear blow-up
# (one input once took 33 s) without failing on a busy CI machine. CPU time, not
# wall time, so other processes on the machine do not count.
RENDER_CPU_CEILING = 1.0


@pytest.mark.parametrize(
    "source",
    [
        "*" * MAX_BODY_LENGTH,
        "_" * MAX_BODY_LENGTH,
        "[" * MAX_BODY_LENGTH,
        "*[" * (MAX_BODY_LENGTH // 2),
        ">" * MAX_BODY_LENGTH,
        "> " * (MAX_BODY_LENGTH // 2),
        "*\t" * (MAX_BODY_LENGTH // 2),
        "-\t" * (MAX_BODY_LENGTH // 2),
        "1. " * (MAX_BODY_LENGTH // 3),
        "\n".join("  " * depth + "- x" for depth in range(1500))[:MAX_BODY_LENGTH],
        "`" * MAX_BODY_LENGTH,
        "<" * MAX_BODY_LENGTH,
        "&#" * (MAX_BODY_LENGTH // 2),
        "[a](" * (MAX_BODY_LENGTH // 4),
        "#mecfs " * (MAX_BODY_LENGTH // 7),
    ],
)
def test_the_largest_allowed_pathological_body_renders_fast(source):
    started = time.process_time()
    render_markdown(source, resolve_hashtags=lambda names: {name: name for name in names})
    assert time.process_time() - started < RENDER_CPU_CEILING


def test_it_refuses_a_body_over_the_limit_and_the_markdown_dos_inputs():
    assert "20,000" in markdown_problem("*" * 100_000)
    assert "nested" in markdown_problem(">" * 5_000 + " deep")
    assert markdown_problem("> > fine quoting\n\nand text") is None


def test_it_renders_100000_stars_and_5000_nested_quotes_fast_even_unvalidated():
    for source in ("*" * 100_000, ">" * 5_000 + " deep", "> " * 5_000 + "deep"):
        started = time.process_time()
        html = render_markdown(source, resolve_hashtags=no_hashtags)
        assert time.process_time() - started < RENDER_CPU_CEILING
        assert html.count("<blockquote>") <= 13


def test_it_links_hashtags_on_the_text_only():
    links = {"mecfs": "mecfs", "cfs": "mecfs"}
    html = render_markdown(
        "#cfs friends, see `#mecfs` and [#mecfs](https://example.org) and &#35;mecfs and #unknown",
        resolve_hashtags=lambda names: {name: links[name] for name in names if name in links},
    )

    assert f'<a href="/c/mecfs/" rel="{LINK_REL}">#cfs</a> friends' in html
    assert "<code>#mecfs</code>" in html
    assert html.count('href="/c/mecfs/"') == 1
    assert "#unknown" in html and "/c/unknown/" not in html


def test_a_hashtag_at_the_start_of_a_line_is_not_a_heading():
    html = render_markdown("#mecfs is my home\n\n# A heading", resolve_hashtags=no_hashtags)

    assert "<p>#mecfs is my home</p>" in html
    assert "<h3>A heading</h3>" in html


def test_it_links_public_communities_but_never_private_ones(mecfs, hidden_circle):
    html = render_markdown("#cfs and #circle and #nothing")

    assert 'href="/c/mecfs/"' in html
    assert "/c/circle/" not in html


def test_it_drops_nul_and_control_characters():
    assert render_markdown("a\x00b\x07c", resolve_hashtags=no_hashtags) == "<p>abc</p>"
