"""/subscribe/ — what a reader (or a bot) sees for every kind of input."""

import json

import pytest
from django.core import mail

from subscriptions.models import ConsentEvent, Subscriber
from tests.factories import NewsletterFactory
from tests.signup_helpers import aged_ts

pytestmark = pytest.mark.django_db

URL = "/ar/subscribe/"
SUCCESS_AR = "يرجى مراجعة بريدك الوارد! أرسلنا إليك رسالة للتحقق من عنوانك."


@pytest.fixture(autouse=True)
def newsletter():
    return NewsletterFactory(description="رسالة أسبوعية")


@pytest.fixture
def post_json(django_capture_on_commit_callbacks):
    """POST JSON and run what the request queued after commit (the verification email)."""

    def post(client, payload, url=URL, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=json.dumps(payload), content_type="application/json", headers=headers)

    return post


def test_the_form_page_renders_in_arabic(client):
    html = client.get(URL).content.decode()
    assert 'dir="rtl"' in html and "اشترك الآن" in html and 'name="ts"' in html


def test_a_json_signup_answers_with_the_sites_success_message(client, post_json):
    response = post_json(client, {"name": "سارة", "email": "sara@example.com"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": SUCCESS_AR}
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.name, subscriber.status, subscriber.language) == (
        "sara@example.com", "سارة", "pending", "ar")
    assert len(mail.outbox) == 1


def test_a_form_post_without_script_gets_a_result_page(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"name": "Sara", "email": "sara@example.com", "ts": aged_ts(10), "source": "page"})
    assert response.status_code == 200
    assert SUCCESS_AR in response.content.decode()


def test_english_readers_get_english(client, post_json):
    response = post_json(client, {"email": "sam@example.com"}, url="/en/subscribe/")
    assert response.json()["message"] == "Please check your inbox! We have sent you a message to verify your address."
    assert Subscriber.objects.get().language == "en"


def test_the_consent_is_recorded(client, post_json):
    post_json(client, {"name": "سارة", "email": "sara@example.com", "source": "embed"},
              **{"User-Agent": "Mozilla/5.0 Test"})
    event = ConsentEvent.objects.get()
    assert (event.event, event.ip, event.user_agent, event.form) == ("signup", "127.0.0.1", "Mozilla/5.0 Test", "embed")
    assert len(event.wording_hash) == 64


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"name": "x" * 101, "email": "a@example.com"}, "name"),
        ({"name": "سارة\nBcc: victim@example.com", "email": "a@example.com"}, "name"),
        ({"name": "evil\u202egpj.exe", "email": "a@example.com"}, "name"),
        ({"name": "a\u2066b", "email": "a@example.com"}, "name"),
        ({"name": "Win at http://spam.example", "email": "a@example.com"}, "name"),
        ({"name": ["a", "list"], "email": "a@example.com"}, "name"),
        ({"email": {"an": "object"}}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
    ],
)
def test_bad_input_gets_a_clear_message_and_400(client, payload, field, post_json):
    response = post_json(client, payload)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["errors"][field] and all(body["errors"][field])
    assert not Subscriber.objects.exists() and not mail.outbox


def test_errors_speak_the_readers_language(client, post_json):
    ar = post_json(client, {"email": "nope"}).json()["errors"]["email"][0]
    en = post_json(client, {"email": "nope"}, url="/en/subscribe/").json()["errors"]["email"][0]
    assert en == "Enter a valid email address."
    assert ar != en and any("\u0600" <= c <= "\u06ff" for c in ar)


def test_arabic_names_and_idn_addresses_are_accepted_as_typed(client, post_json):
    response = post_json(client, {"name": "  عبد الرحمن بن خلدون  ", "email": "qari@بريد.مثال"})
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.name == "عبد الرحمن بن خلدون"
    assert subscriber.email == "qari@xn--ngbof4h.xn--mgbh0fb"
    assert subscriber.email.split("@")[1].encode("ascii").decode("idna") == "بريد.مثال"


def test_unknown_fields_are_ignored(client, post_json):
    response = post_json(client, {"email": "a@example.com", "is_staff": True, "status": "confirmed"})
    assert response.status_code == 200
    assert Subscriber.objects.get().status == "pending"


def test_markup_in_a_name_never_reaches_a_page_unescaped(client, admin_client, post_json):
    post_json(client, {"name": "<b>bold</b>", "email": "a@example.com"})
    page = admin_client.get("/ar/admin/subscriptions/subscriber/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_another_content_type_is_415(client, content_type):
    response = client.post(URL, data="email=a@example.com", content_type=content_type,
                           headers={"accept": "application/json"})
    assert response.status_code == 415
    assert response.json()["errors"]["__all__"]


def test_a_body_over_10kb_is_413(client, post_json):
    response = post_json(client, {"email": "a@example.com", "name": "x" * 11_000})
    assert response.status_code == 413
    assert response.json()["ok"] is False


@pytest.mark.parametrize("body", ["{", "[1, 2]", '"a string"', "null", "\xff"])
def test_broken_json_is_a_clear_400(client, body):
    response = client.post(URL, data=body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_a_filled_honeypot_looks_like_success_but_does_nothing(client, post_json):
    response = post_json(client, {"email": "a@example.com", "website": "http://bot.example"})
    assert response.json() == {"ok": True, "message": SUCCESS_AR}
    assert not Subscriber.objects.exists() and not mail.outbox


def test_a_form_sent_faster_than_a_person_can_type_is_refused(client, post_json):
    response = post_json(client, {"email": "a@example.com", "ts": aged_ts(0)})
    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_a_forged_or_stale_form_timestamp_is_refused(client, post_json):
    assert post_json(client, {"email": "a@example.com", "ts": "signup:abc:forged"}).status_code == 400
    assert post_json(client, {"email": "a@example.com", "ts": aged_ts(2 * 86400)}).status_code == 400
    assert not Subscriber.objects.exists()


def test_a_post_from_a_foreign_site_is_refused(client, settings, post_json):
    settings.SIGNUP_FRAME_ANCESTORS = ["https://news.example"]
    bad = post_json(client, {"email": "a@example.com"}, Origin="https://evil.example")
    assert bad.status_code == 403
    by_referer = post_json(client, {"email": "b@example.com"}, Referer="https://evil.example/page")
    assert by_referer.status_code == 403
    good = post_json(client, {"email": "c@example.com"}, Origin="https://news.example")
    assert good.status_code == 200
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["c@example.com"]


def test_the_endpoint_needs_no_csrf_cookie(settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, {"email": "a@example.com", "ts": aged_ts(5)})
    assert response.status_code == 200


def test_no_newsletter_means_signups_are_closed_not_a_crash(client, newsletter, post_json):
    newsletter.is_active = False
    newsletter.save()
    response = post_json(client, {"email": "a@example.com"})
    assert response.status_code == 503
    assert response.json()["errors"]["__all__"]


def test_only_get_and_post(client):
    assert client.put(URL).status_code == 405


def test_the_plain_html_snippet_from_the_admin_signs_a_reader_up(client, admin_client, newsletter, settings, django_capture_on_commit_callbacks):
    """The form an editor copies from the newsletter's admin page works as pasted."""
    import re

    settings.SIGNUP_FRAME_ANCESTORS = ["https://news.example"]
    page = admin_client.get(f"/ar/admin/subscriptions/newsletter/{newsletter.pk}/change/").content.decode()
    assert "&lt;iframe src=" in page and "/ar/subscribe/embed/" in page
    snippet = page[page.index("&lt;form action="):]
    names = set(re.findall(r"name=&quot;(\w+)&quot;", snippet[: snippet.index("&lt;/form&gt;")]))
    assert names == {"source", "name", "email", "website"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ar/subscribe/", {"source": "snippet", "name": "ليلى", "email": "layla@example.com", "website": ""},
                               headers={"Origin": "https://news.example"})
    assert response.status_code == 200 and SUCCESS_AR in response.content.decode()
    assert ConsentEvent.objects.get().form == "snippet"
