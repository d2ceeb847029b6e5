"""The beat tick: on a newsletter's weekly slot it compiles that week's digest once, then
approves it (auto-send) or tells the staff a draft waits. Time is frozen through the
``now`` seam the task passes ``timezone.now()`` into."""

from datetime import timedelta

import pytest
from django.core import mail

from newsroom.celery import app
from subscriptions import digest as digest_service
from subscriptions.digest import digests_compile_due, weekly_slot_latest
from subscriptions.models import Digest
from tests.factories import NewsletterFactory, SectionFactory, published, slot_end

pytestmark = pytest.mark.django_db

SLOT = slot_end()  # Thursday 26 Nov 2026, 09:00 Asia/Damascus (06:00 UTC)


@pytest.fixture
def newsletter():
    published(section=SectionFactory(slug="news"), title="خبر الأسبوع", days_before=2)
    newsletter = NewsletterFactory()
    # Made long before the slot (created_at is auto_now_add).
    type(newsletter).objects.filter(pk=newsletter.pk).update(created_at=SLOT - timedelta(days=30))
    newsletter.refresh_from_db()
    return newsletter


@pytest.fixture
def tick(django_capture_on_commit_callbacks):
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return digests_compile_due(now=now)

    return run


def test_the_default_slot_is_thursday_nine_in_the_site_time_zone(newsletter):
    assert weekly_slot_latest(newsletter=newsletter, now=SLOT + timedelta(minutes=1)) == SLOT
    assert weekly_slot_latest(newsletter=newsletter, now=SLOT - timedelta(minutes=1)) == SLOT - timedelta(days=7)
    assert SLOT.utcoffset() == timedelta(hours=3)


def test_just_after_the_slot_the_weeks_draft_is_compiled_and_the_staff_are_told(newsletter, staff_user, tick):
    outcomes = tick(SLOT + timedelta(minutes=1))

    digest = Digest.objects.get()
    assert (digest.period_end, digest.status) == (SLOT, Digest.Status.DRAFT)
    assert [o.action for o in outcomes] == ["draft"]
    assert len(mail.outbox) == 1
    note = mail.outbox[0]
    assert note.to == [staff_user.email]
    assert digest.subject in note.subject
    assert f"/admin/subscriptions/digest/{digest.pk}/change/" in note.body


def test_just_before_the_slot_nothing_happens(newsletter, staff_user, tick):
    assert tick(SLOT - timedelta(minutes=1)) == []
    assert not Digest.objects.exists()
    assert mail.outbox == []


def test_a_second_tick_does_nothing_twice(newsletter, staff_user, tick):
    tick(SLOT + timedelta(minutes=1))
    second = tick(SLOT + timedelta(minutes=6))

    assert second == []
    assert Digest.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_auto_send_newsletter_is_approved_on_its_slot_and_handed_to_sending(newsletter, tick, monkeypatch):
    newsletter.auto_send = True
    newsletter.save()
    handed = []
    monkeypatch.setattr(digest_service, "digest_approved", lambda digest, send=False: handed.append((digest.pk, send)))

    tick(SLOT + timedelta(minutes=1))
    tick(SLOT + timedelta(minutes=6))

    digest = Digest.objects.get()
    assert digest.status == Digest.Status.APPROVED
    assert "[[nashra:unsubscribe_url]]" in digest.html and "خبر الأسبوع" in digest.text
    assert handed == [(digest.pk, True)]  # True: the slot's approval starts sending
    assert mail.outbox == []


def test_a_week_with_nothing_published_compiles_nothing_on_its_slot(tick, staff_user):
    NewsletterFactory().__class__.objects.update(created_at=SLOT - timedelta(days=30))

    assert [o.action for o in tick(SLOT + timedelta(minutes=1))] == ["empty"]
    # Looked at again only after an hour, not on every tick.
    assert tick(SLOT + timedelta(minutes=6)) == []
    assert not Digest.objects.exists() and mail.outbox == []


def test_a_slot_long_past_is_left_to_the_editors(newsletter, tick):
    assert tick(SLOT + timedelta(days=2)) == []
    assert not Digest.objects.exists()


def test_beat_runs_the_registered_task_every_five_minutes():
    entry = app.conf.beat_schedule["digests-compile-due"]
    assert entry["schedule"] == 300.0
    assert entry["task"] in app.tasks
