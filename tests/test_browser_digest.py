"""An editor's week in headless Chromium: log in, reorder the digest, preview it, send a
test to themselves, approve. Screenshots land in artifacts/."""

import pytest
from django.core import mail

from subscriptions.digest import digest_compile
from subscriptions.models import Digest
from tests.conftest import admin_sign_in
from tests.factories import NewsletterFactory, SectionFactory, light_section, published, slot_end

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_editor_reorders_previews_tests_and_approves_the_digest(page, live_server, staff_user, artifacts):
    politics = SectionFactory(slug="politics", name="سياسة", order=1)
    published(section=politics, title="البرلمان يقرّ قانون الموازنة العامة", summary="بعد جلسة مطوّلة.",
              editors_pick=True, views=900)
    published(section=politics, title="وفد حكومي يزور المحافظات الشمالية", summary="لبحث ملف الخدمات.", views=800)
    published(section=politics, title="انطلاق الحوار الوطني", summary="بمشاركة الأحزاب.", views=100)
    published(section=light_section(), title="قطّ يعود إلى منزله بعد ثلاثة أشهر", summary="فوجئت العائلة.", views=50)
    newsletter = NewsletterFactory(top_limit=2, organisation="جريدة الأيام", postal_address="شارع بغداد، دمشق")
    digest = digest_compile(newsletter=newsletter, period_end=slot_end())
    first, second = digest.items.order_by("position")[:2]
    base = live_server.url

    # Log in.
    admin_sign_in(page, f"{base}/admin/subscriptions/digest/{digest.pk}/change/",
                  lands_on=f"{base}/ar/admin/subscriptions/digest/{digest.pk}/change/")
    assert page.locator("html").get_attribute("dir") == "rtl"

    # Swap the first two items and save.
    page.fill("input[name=items-0-position]", "2")
    page.fill("input[name=items-1-position]", "1")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert list(digest.items.order_by("position").values_list("pk", flat=True)[:2]) == [second.pk, first.pk]
    page.screenshot(path=artifacts / "admin-digest-ar.png", full_page=True)

    # Preview: the reordered email, right to left down to every table.
    with page.context.expect_page() as opened:
        page.click("a.digest-preview")
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.locator("html").get_attribute("dir") == "rtl"
    headlines = preview.locator("h3").all_inner_texts()
    assert headlines[:2] == ["وفد حكومي يزور المحافظات الشمالية", "البرلمان يقرّ قانون الموازنة العامة"]
    assert headlines[-1] == "قطّ يعود إلى منزله بعد ثلاثة أشهر"
    directions = preview.evaluate(
        "[...document.querySelectorAll('table, td, div')].map(e => getComputedStyle(e).direction)")
    assert directions and set(directions) == {"rtl"}
    assert preview.evaluate("getComputedStyle(document.querySelector('h3')).textAlign") in ("right", "start")
    preview.screenshot(path=artifacts / "digest-ar.png", full_page=True)
    preview.close()

    # A test to myself lands in the outbox.
    page.click("button.digest-send_test")
    page.wait_for_selector(".messagelist .success")
    assert "amal@news.example" in page.locator(".messagelist").inner_text()
    assert [m.to for m in mail.outbox] == [["amal@news.example"]]
    assert "وفد حكومي يزور المحافظات الشمالية" in mail.outbox[0].alternatives[0].content

    # Approve: the page turns read-only.
    page.click("button.digest-approve")
    page.wait_for_selector(".messagelist .success")
    digest.refresh_from_db()
    assert digest.status == Digest.Status.APPROVED and digest.approved_by == staff_user
    assert page.locator("input[name=items-0-position]").count() == 0
    assert page.locator("button.digest-approve").count() == 0
    page.screenshot(path=artifacts / "admin-digest-approved-ar.png", full_page=True)
