"""A reader leaves in one click from the link in their email, then changes their mind."""

import pytest

from subscriptions.links import unsubscribe_url
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory, SubscriptionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unsubscribe_in_one_click_then_resubscribe(page, live_server, settings, artifacts):
    settings.SITE_URL = live_server.url
    subscription = SubscriptionFactory(
        subscriber=SubscriberFactory(email="r@example.com", name="سارة", confirmed_at="2026-01-01T00:00Z")
    )
    reader = subscription.subscriber
    page.goto(unsubscribe_url(reader.pk, subscription.newsletter.pk))
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_role("button", name="إلغاء الاشتراك").click()
    page.get_by_text("تم إلغاء اشتراكك.").wait_for()
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"
    page.screenshot(path=artifacts / "unsubscribed-ar.png")

    page.get_by_role("button", name="فعلت ذلك عن طريق الخطأ — أعد اشتراكي").click()
    page.get_by_text("أهلاً بعودتك! عدت إلى قائمتنا من جديد.").wait_for()
    assert Subscriber.objects.get(pk=reader.pk).status == "confirmed"
