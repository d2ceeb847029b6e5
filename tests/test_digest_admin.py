"""Editors in the admin: preview, test sends to themselves, approval, and nothing
editable once a digest is past draft. State changes are POST-only and CSRF-protected."""

from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.test import Client

from subscriptions.digest import digest_approve, digest_compile
from subscriptions.models import Digest
from subscriptions.tokens import read_unsubscribe_token
from tests.factories import NewsletterFactory, SectionFactory, SubscriberFactory, published, slot_end

pytestmark = pytest.mark.django_db


@pytest.fixture
def digest():
    news = SectionFactory(slug="news", name="أخبار")
    published(section=news, title="الخبر الأول", views=20)
    published(section=news, title="الخبر الثاني", views=10)
    return digest_compile(newsletter=NewsletterFactory(), period_end=slot_end())


@pytest.fixture
def editor(client, staff_user):
    staff_user.first_name = "أمل"
    staff_user.save()
    client.force_login(staff_user)
    return client


def url(digest, name=""):
    return f"/ar/admin/subscriptions/digest/{digest.pk}/{name}"


def test_the_digest_page_lists_items_and_offers_preview_test_and_approve(editor, digest):
    html = editor.get(url(digest, "change/")).content.decode()
    assert "الخبر الأول" in html and "الخبر الثاني" in html
    assert 'name="items-0-position"' in html and 'name="subject"' in html
    for label in ("معاينة", "النسخة النصية", "أرسل نسخة تجريبية إليّ", "اعتماد"):
        assert label in html


def test_preview_shows_the_email_as_the_editor_would_get_it(editor, digest):
    response = editor.get(url(digest, "preview/"))
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl"' in html and "مرحباً أمل،" in html
    assert "[[nashra:" not in html

    text = editor.get(url(digest, "preview-text/"))
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    body = text.content.decode()
    assert "الخبر الأول" in body and "مرحباً أمل،" in body and "[[nashra:" not in body


def test_a_test_send_goes_only_to_the_editor_as_a_real_multipart_list_email(editor, digest, staff_user):
    reader = SubscriberFactory(email=staff_user.email)
    response = editor.post(url(digest, "send-test/"), {"to": "someone-else@example.com"})
    assert response.status_code == 302

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [staff_user.email] and message.recipients() == [staff_user.email]
    assert message.subject.startswith("[تجربة] ")
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "مرحباً أمل،" in text and "مرحباً أمل،" in html and "الخبر الأول" in html
    unsubscribe = parsed["List-Unsubscribe"].strip("<>")
    assert read_unsubscribe_token(unsubscribe.rstrip("/").rsplit("/", 1)[1]) == (reader.pk, digest.newsletter_id)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "<this-week.127.0.0.1>"
    assert unsubscribe in text


def test_approving_stores_the_rendered_body_and_freezes_the_digest(editor, digest, staff_user):
    response = editor.post(url(digest, "approve/"))
    assert response.status_code == 302
    digest.refresh_from_db()
    assert digest.status == Digest.Status.APPROVED and digest.approved_by == staff_user
    assert "[[nashra:name]]" in digest.html and "الخبر الأول" in digest.text

    page = editor.get(url(digest, "change/")).content.decode()
    assert 'name="items-0-position"' not in page and 'name="subject"' not in page
    assert "لم تعد هذه النشرة مسودة" in page
    refused = editor.post(url(digest, "change/"), {"subject": "عنوان آخر", "intro": ""})
    assert refused.status_code == 403
    digest.refresh_from_db()
    assert digest.subject != "عنوان آخر"


def test_approving_twice_says_why_and_changes_nothing(editor, digest):
    editor.post(url(digest, "approve/"))
    digest.refresh_from_db()
    approved_at = digest.approved_at
    response = editor.post(url(digest, "approve/"), follow=True)
    assert "لا يُعتمد إلا ما كان مسودة" in response.content.decode()
    digest.refresh_from_db()
    assert digest.approved_at == approved_at


@pytest.mark.parametrize("status", [Digest.Status.SENDING, Digest.Status.SENT])
def test_nothing_moves_once_sending_started(editor, digest, status):
    digest_approve(digest=digest)
    Digest.objects.filter(pk=digest.pk).update(status=status)
    for action in ("approve/", "reopen/", "cancel/"):
        editor.post(url(digest, action))
    digest.refresh_from_db()
    assert digest.status == status
    assert editor.post(url(digest, "delete/"), {"post": "yes"}).status_code == 403
    assert Digest.objects.filter(pk=digest.pk).exists()


def test_an_approved_digest_can_go_back_to_draft_and_be_edited(editor, digest):
    digest_approve(digest=digest)
    editor.post(url(digest, "reopen/"))
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT and digest.html == ""
    assert 'name="subject"' in editor.get(url(digest, "change/")).content.decode()


def test_state_changes_are_post_only(editor, digest):
    for action in ("approve/", "send-test/", "reopen/", "cancel/"):
        assert editor.get(url(digest, action)).status_code == 405
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT and mail.outbox == []


def test_state_changes_need_the_csrf_token(digest, staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post(url(digest, "approve/")).status_code == 403
    assert client.post(url(digest, "send-test/")).status_code == 403
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT and mail.outbox == []


def test_readers_and_strangers_cannot_reach_the_digest_views(client, digest):
    for action in ("preview/", "preview-text/"):
        response = client.get(url(digest, action))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.post(url(digest, "approve/"))
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT


def test_an_editor_without_change_permission_cannot_approve(client, digest, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", "viewer@news.example", "pw-viewer-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_digest"))
    client.force_login(viewer)
    assert client.get(url(digest, "preview/")).status_code == 200
    assert client.post(url(digest, "approve/")).status_code == 403
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT


def test_the_change_page_costs_the_same_few_queries_however_many_items(editor, digest, django_assert_max_num_queries):
    news = SectionFactory(slug="more")
    for i in range(20):
        published(section=news, title=f"إضافي {i}", days_before=2)
    big = digest_compile(newsletter=NewsletterFactory(slug="big", total_limit=22, per_section_limit=22),
                         period_end=slot_end())
    assert big.items.count() == 22
    with django_assert_max_num_queries(8):
        page = editor.get(url(big, "change/")).content.decode()
    # Every row still shows its article's title in the autocomplete box.
    assert all(f"إضافي {i}" in page for i in range(20))
