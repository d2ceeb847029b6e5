import pytest

from tests.factories import NewsletterFactory

pytestmark = pytest.mark.django_db


def test_the_bare_home_redirects_to_the_arabic_prefix(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/ar/"


def test_an_english_reader_is_sent_to_english(client):
    response = client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert response["Location"] == "/en/"


def test_arabic_pages_are_right_to_left(client):
    NewsletterFactory(description="رسالة أسبوعية")
    html = client.get("/ar/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "الأيام في هذا الأسبوع" in html and "رسالة أسبوعية" in html


def test_english_pages_are_left_to_right_and_translated(client):
    html = client.get("/en/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "Latest issues" in html


def test_arabic_strings_are_translated(client):
    html = client.get("/ar/").content.decode()
    assert "Latest issues" not in html
    assert "أحدث الأعداد" in html


def test_admin_requires_staff_and_speaks_arabic(client, staff_user):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/ar/admin/")
    login = client.get("/ar/admin/login/")
    assert 'dir="rtl"' in login.content.decode()
    client.force_login(staff_user)
    index = client.get("/ar/admin/")
    assert index.status_code == 200
    assert "المشتركون" in index.content.decode()


def test_pages_refuse_to_be_framed(client):
    response = client.get("/ar/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
