"""Headless Chromium (Debian's /usr/bin/chromium) loads the pages people use."""

import pytest
from tests.conftest import admin_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_renders_right_to_left_in_chromium(page, live_server, artifacts):
    from tests.factories import NewsletterFactory

    NewsletterFactory(description="رسالة إلكترونية تسلط الضوء على أبرز ما نشر في الجريدة")
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/ar/"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.locator("h1").inner_text() == "الأيام في هذا الأسبوع"
    # The stylesheet was served (whitenoise) and applied: the brand is not default blue.
    assert page.evaluate("getComputedStyle(document.querySelector('.brand')).color") == "rgb(179, 38, 30)"
    page.screenshot(path=artifacts / "home-ar.png", full_page=True)


def test_an_editor_signs_in_to_the_arabic_admin(page, live_server, staff_user, artifacts):
    page.goto(f"{live_server.url}/admin/")
    assert "/ar/admin/login/" in page.url  # the admin asks who you are first
    admin_sign_in(page, f"{live_server.url}/admin/", lands_on=f"{live_server.url}/ar/admin/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("link", name="المشتركون").count() >= 1
    page.screenshot(path=artifacts / "admin-ar.png", full_page=True)
