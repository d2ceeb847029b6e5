"""The public archive: sent digests only, each with a web version that carries no
reader's data, a canonical URL, share-card tags and a way to subscribe."""

import pytest
from django.conf import settings

from subscriptions.digest import digest_approve, digest_compile
from subscriptions.models import Digest
from tests.factories import NewsletterFactory, SectionFactory, published, slot_end

pytestmark = pytest.mark.django_db


def make_digest(status=Digest.Status.SENT, *, slug="this-week", title="المنتخب يتأهل", intro=""):
    published(section=SectionFactory(slug="sports", name="رياضة"), title=title,
              image_url="https://img.news.example/team.jpg")
    newsletter = NewsletterFactory(slug=slug, description="أبرز ما نشر في الجريدة")
    digest = digest_compile(newsletter=newsletter, period_end=slot_end())
    digest.intro = intro
    digest.save()
    if status != Digest.Status.DRAFT:
        digest = digest_approve(digest=digest)
        Digest.objects.filter(pk=digest.pk).update(status=status, sent_at=slot_end())
    digest.refresh_from_db()
    return digest


def test_the_web_version_is_the_email_without_any_readers_data(client):
    digest = make_digest(intro="أسبوع رياضي بامتياز")
    response = client.get(f"/ar/archive/{digest.slug}/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl"' in html
    assert "المنتخب يتأهل" in html and "أسبوع رياضي بامتياز" in html
    assert "مرحباً،" in html  # the greeting, with no name
    assert "[[nashra:" not in html and "/unsubscribe/" not in html


def test_the_web_version_has_a_canonical_url_and_share_card_tags(client):
    digest = make_digest(intro="أسبوع رياضي بامتياز")
    html = client.get(f"/en/archive/{digest.slug}/").content.decode()
    canonical = f"{settings.SITE_URL}/ar/archive/{digest.slug}/"  # the newsletter's language

    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    assert f'<meta property="og:title" content="{digest.subject}">' in html
    assert '<meta property="og:description" content="أسبوع رياضي بامتياز">' in html
    assert '<meta property="og:image" content="https://img.news.example/team.jpg">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


def test_the_web_version_ends_with_an_invitation_to_subscribe(client):
    digest = make_digest()
    html = client.get(f"/ar/archive/{digest.slug}/").content.decode()
    invitation = html[html.index('class="nashra-signup"'):]

    assert "اشترك الآن" in invitation and "أبرز ما نشر في الجريدة" in invitation
    # The signup page where this deployment has one, else the home page with its form.
    assert 'href="/ar/subscribe/"' in invitation or 'href="/ar/"' in invitation
    assert invitation.index("اشترك الآن") > 0 and html.rindex("</body>") > html.index('class="nashra-signup"')


@pytest.mark.parametrize("status", [Digest.Status.DRAFT, Digest.Status.APPROVED, Digest.Status.CANCELLED])
def test_a_digest_that_has_not_gone_out_is_not_public(client, status):
    digest = make_digest(status)
    assert client.get(f"/ar/archive/{digest.slug}/").status_code == 404
    assert digest.subject not in client.get("/ar/archive/").content.decode()


def test_readers_of_a_digest_still_going_out_can_open_its_web_version(client):
    digest = make_digest(Digest.Status.SENDING)
    assert client.get(f"/ar/archive/{digest.slug}/").status_code == 200
    # …but it is listed once it is sent.
    assert digest.subject not in client.get("/ar/archive/").content.decode()


def test_the_archive_and_the_home_page_list_sent_issues_newest_first(client):
    older = make_digest(slug="older", title="خبر قديم")
    Digest.objects.filter(pk=older.pk).update(sent_at=slot_end().replace(day=1))
    newer = make_digest(slug="newer", title="خبر جديد")

    archive = client.get("/ar/archive/").content.decode()
    home = client.get("/ar/").content.decode()

    for page in (archive, home):
        assert page.index(f'href="/ar/archive/{newer.slug}/"') < page.index(f'href="/ar/archive/{older.slug}/"')
        assert "لم يُرسل أي عدد بعد" not in page
    assert "كل الأعداد" in home


def test_an_empty_archive_says_so(client):
    assert "لم يُرسل أي عدد بعد" in client.get("/ar/archive/").content.decode()
