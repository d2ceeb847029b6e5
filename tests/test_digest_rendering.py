"""What a digest email looks like: right to left all the way down, every item in both
parts, links tagged, small enough for Gmail, reader data only through placeholders."""

import re
from html.parser import HTMLParser

import pytest

from subscriptions.digest import digest_approve, digest_compile
from subscriptions.personalize import TOKENS, digest_personalize
from subscriptions.rendering import digest_render
from tests.factories import NewsletterFactory, SectionFactory, light_section, published, slot_end

pytestmark = pytest.mark.django_db


class Layout(HTMLParser):
    """Collects the inline ``direction`` of section cells and column blocks."""

    def __init__(self):
        super().__init__()
        self.root = {}
        self.columns = []  # style of every mj-column <div>
        self.directions = []  # every inline direction: value

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.root = attrs
        style = attrs.get("style") or ""
        self.directions += re.findall(r"direction:\s*(\w+)", style)
        if tag == "div" and "mj-column-per" in (attrs.get("class") or ""):
            self.columns.append(style)


def parse(html: str) -> Layout:
    layout = Layout()
    layout.feed(html)
    return layout


@pytest.fixture
def week():
    politics = SectionFactory(slug="politics", name="سياسة", order=1)
    sports = SectionFactory(slug="sports", name="رياضة", order=2)
    light = light_section()
    articles = [
        published(section=politics, title="البرلمان يقرّ الموازنة", summary="بعد جلسة مطوّلة.", editors_pick=True,
                  image_url="https://img.news.example/budget.jpg"),
        published(section=politics, title="وفد حكومي في الشمال", summary="لبحث ملف الخدمات.", views=30),
        published(section=sports, title="المنتخب يتأهل", summary="فوز ثمين.", views=90,
                  url="https://news.example/sports/1/?ref=home"),
        published(section=sports, title="بطولة الشطرنج المدرسية", views=5),
        published(section=light, title="قطّ يعود إلى منزله", summary="بعد ثلاثة أشهر.", views=500),
    ]
    newsletter = NewsletterFactory(top_limit=1, organisation="جريدة الأيام", postal_address="شارع بغداد، دمشق")
    digest = digest_compile(newsletter=newsletter, period_end=slot_end())
    return digest, articles


def test_arabic_digest_is_right_to_left_from_the_root_to_every_section_and_column(week):
    digest, _ = week
    html = digest_render(digest=digest).html
    layout = parse(html)

    assert layout.root.get("lang") == "ar" and layout.root.get("dir") == "rtl"
    # header, greeting, one block per heading (top, 2 sections, light), footer
    assert len(layout.columns) == 7
    assert all("direction:rtl" in style for style in layout.columns)
    assert layout.directions and set(layout.directions) == {"rtl"}
    assert "direction:ltr" not in html.replace(" ", "")
    assert "Tahoma, Arial, sans-serif" in html
    assert "fonts.googleapis" not in html  # no third-party font loads


def test_every_item_is_a_tagged_link_in_html_and_listed_in_the_text_part(week):
    digest, articles = week
    rendered = digest_render(digest=digest)

    assert digest.items.count() == len(articles)
    for article in articles:
        tag = f"utm_source=nashra&utm_medium=email&utm_campaign={digest.slug}"
        assert f'href="{article.url.split("?")[0]}' in rendered.html
        assert article.title in rendered.html and article.title in rendered.text
        assert article.summary in rendered.text
        assert tag.replace("&", "&amp;") in rendered.html
    # An article's own query string is kept alongside the tags.
    assert "https://news.example/sports/1/?ref=home&utm_source=nashra" in rendered.text
    assert 'src="https://img.news.example/budget.jpg"' in rendered.html
    assert "src=" not in rendered.text
    # Headings: top stories, the sections, the light group, in the Arabic of the email.
    for heading in ("أبرز الأخبار", "سياسة", "رياضة", "وشيء من المنوّعات"):
        assert heading in rendered.html and heading in rendered.text
    assert rendered.text.index("قطّ يعود إلى منزله") > rendered.text.index("بطولة الشطرنج المدرسية")


def test_header_and_footer_say_who_sends_it_why_and_how_to_leave(week):
    digest, _ = week
    rendered = digest_render(digest=digest)

    for part in (rendered.html, rendered.text):
        assert "الأيام في هذا الأسبوع" in part
        assert "تصلك هذه الرسالة لأنك اشتركت في «الأيام في هذا الأسبوع»" in part
        assert "جريدة الأيام" in part and "شارع بغداد، دمشق" in part
        assert TOKENS["unsubscribe_url"] in part and TOKENS["web_url"] in part
        assert "مرحباً [[nashra:name]]،" in part
    assert f'href="{TOKENS["unsubscribe_url"]}"' in rendered.html
    assert "19–26 نوفمبر 2026" in rendered.html


def test_an_editors_intro_appears_escaped_and_in_both_parts(week):
    digest, _ = week
    digest.intro = "أسبوع حافل <b>جداً</b>\nوإليكم التفاصيل"
    digest.save()
    rendered = digest_render(digest=digest)

    assert "أسبوع حافل &lt;b&gt;جداً&lt;/b&gt;<br />وإليكم التفاصيل" in rendered.html
    assert "أسبوع حافل <b>جداً</b>\nوإليكم التفاصيل" in rendered.text


def test_content_cannot_smuggle_a_placeholder_into_the_body():
    published(section=SectionFactory(slug="news"), title="خبر [[nashra:unsubscribe_url]] غريب")
    digest = digest_compile(newsletter=NewsletterFactory(), period_end=slot_end())
    rendered = digest_render(digest=digest)
    fields = {"name": "سارة", "unsubscribe_url": "https://x.example/u/secret/", "web_url": "https://x.example/w/"}

    for body, html in ((rendered.html, True), (rendered.text, False)):
        personal = digest_personalize(body=body, fields=fields, html=html)
        assert personal.count("https://x.example/u/secret/") == 1  # the footer's link only
        assert "[\u200b[nashra:unsubscribe_url]]" in personal


def test_an_english_newsletter_renders_left_to_right_in_english():
    published(section=SectionFactory(slug="news"), title="Budget passed")
    digest = digest_compile(newsletter=NewsletterFactory(language="en", name="This Week"), period_end=slot_end())
    rendered = digest_render(digest=digest)
    layout = parse(rendered.html)

    assert layout.root.get("lang") == "en" and layout.root.get("dir") == "ltr"
    assert set(layout.directions) == {"ltr"}
    assert "Top stories" in rendered.text and "Hello [[nashra:name]]," in rendered.text
    assert "19–26 November 2026" in rendered.html


def test_a_full_digest_stays_under_100_kb_so_gmail_does_not_clip_it():
    sections = [SectionFactory(slug=f"s{i}", name=f"القسم رقم {i}", order=i) for i in range(8)]
    light = light_section()
    long_title = "عنوان طويل لخبر مهم جداً يشرح تفاصيل ما حدث هذا الأسبوع في المدينة وما حولها "
    long_summary = "ملخص مفصّل للخبر يوضح خلفيته وأهم ما ورد فيه من أرقام وتصريحات ومواقف. " * 4
    for i in range(70):
        published(section=sections[i % 8] if i < 60 else light, title=f"{long_title}{i}", summary=long_summary,
                  views=i, image_url=f"https://img.news.example/2026/11/{i}/photo-large.jpg",
                  url=f"https://news.example/2026/11/26/a-fairly-long-article-slug-{i}/")
    newsletter = NewsletterFactory(top_limit=10, per_section_limit=10, light_limit=10, total_limit=50,
                                   organisation="جريدة الأيام", postal_address="شارع بغداد، دمشق")
    digest = digest_compile(newsletter=newsletter, period_end=slot_end())
    digest = digest_approve(digest=digest)

    assert digest.items.count() == 50
    size = len(digest.html.encode("utf-8"))
    assert size < 100 * 1024, f"{size / 1024:.1f} KB"
    assert digest.text.count("https://news.example/2026/11/26/") == 50


def test_render_costs_a_fixed_handful_of_queries(week, django_assert_max_num_queries):
    digest, _ = week
    from subscriptions.models import Digest

    digest = Digest.objects.get(pk=digest.pk)  # nothing cached

    with django_assert_max_num_queries(3):
        digest_render(digest=digest)
