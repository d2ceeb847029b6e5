"""Sending from the admin: a separate permission, a confirmation with the audience,
live counts, and the controls (pause, resume, cancel, resend)."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from subscriptions import sending
from subscriptions.models import Delivery, Digest
from tests.sending_helpers import approved_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    """Staff who may edit digests but not send them."""
    user = django_user_model.objects.create_user("editor", "editor@news.example", "pw-editor-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_digest", "change_digest"]))
    return user


@pytest.fixture
def sender_user(editor):
    editor.user_permissions.add(Permission.objects.get(codename="send_digest"))
    return editor.__class__.objects.get(pk=editor.pk)


def change_url(digest):
    return f"/ar/admin/subscriptions/digest/{digest.pk}/change/"


def test_editing_does_not_mean_sending(client, editor):
    digest = approved_digest(readers=3)
    client.force_login(editor)
    assert "/send/" not in client.get(change_url(digest)).content.decode()
    assert client.get(f"/ar/admin/subscriptions/digest/{digest.pk}/send/").status_code == 403
    assert client.post(f"/ar/admin/subscriptions/digest/{digest.pk}/send/").status_code == 403
    assert Digest.objects.get(pk=digest.pk).status == "approved" and not mail.outbox


def test_send_asks_first_showing_the_audience_then_sends(client, sender_user, django_capture_on_commit_callbacks):
    digest = approved_digest(readers=7)
    client.force_login(sender_user)
    page = client.get(change_url(digest)).content.decode()
    assert f"/ar/admin/subscriptions/digest/{digest.pk}/send/" in page
    confirm = client.get(f"/ar/admin/subscriptions/digest/{digest.pk}/send/").content.decode()
    assert "7 قرّاء الآن." in confirm  # Arabic plural form for 3–10
    assert Digest.objects.get(pk=digest.pk).status == "approved"  # asking changed nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/ar/admin/subscriptions/digest/{digest.pk}/send/")
    assert response.status_code == 302
    assert len(mail.outbox) == 7
    digest.refresh_from_db()
    assert digest.status == "sent"
    after = client.get(change_url(digest)).content.decode()
    assert 'class="send-progress"' in after and 'data-key="sent">7<' in after


def test_progress_is_json_from_one_grouped_query(client, sender_user, django_assert_max_num_queries):
    digest = approved_digest(readers=5)
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: None)
    client.force_login(sender_user)
    with django_assert_max_num_queries(8):  # session, user, digest, counts, status
        data = client.get(f"/ar/admin/subscriptions/digest/{digest.pk}/progress/").json()
    assert data["status"] == "sending" and data["recipients"] == 5 and data["pending"] == 5


def test_pause_resume_and_cancel_from_the_admin(client, sender_user, settings):
    settings.SEND_BATCH_SIZE = 2
    digest = approved_digest(readers=6)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    client.force_login(sender_user)
    base = f"/ar/admin/subscriptions/digest/{digest.pk}"
    client.post(f"{base}/pause/")
    assert Digest.objects.get(pk=digest.pk).status == "paused"
    assert sending.batch_send(digest_id=digest.pk, number=0) == "paused" and not mail.outbox
    sending.batch_send(digest_id=digest.pk, number=0)
    client.post(f"{base}/resume/")  # the waiting batches are queued again (inline here)
    assert Digest.objects.get(pk=digest.pk).status == "sent" and len(mail.outbox) == 6

    other = approved_digest(readers=0, newsletter=digest.newsletter, weeks_later=1)  # next week's issue
    sending.digest_send(digest_id=other.pk, dispatch=lambda d, n, c: None)
    client.post(f"/ar/admin/subscriptions/digest/{other.pk}/cancel-sending/")
    assert Digest.objects.get(pk=other.pk).status == "cancelled"
    assert Delivery.objects.filter(digest=other, status="skipped", reason="digest cancelled").count() == 6
    assert len(mail.outbox) == 6


def test_resend_buttons_appear_only_when_there_is_something_to_resend(client, sender_user):
    digest = approved_digest(readers=4)
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: sending.batch_send(digest_id=d, number=n))
    client.force_login(sender_user)
    page = client.get(change_url(digest)).content.decode()
    assert "resend-failed" not in page and "resend-uncertain" not in page
    Delivery.objects.filter(digest=digest).update(status="uncertain")
    page = client.get(change_url(digest)).content.decode()
    assert "resend-uncertain" in page
