"""The consent log is evidence: rows are added, never changed or removed."""

import pytest
from django.db import DatabaseError, connection, transaction

from subscriptions.models import ConsentEvent
from tests.factories import SubscriberFactory


@pytest.fixture
def event(db):
    return ConsentEvent.objects.create(
        subscriber=SubscriberFactory(), event=ConsentEvent.Event.SIGNUP, ip="203.0.113.9",
        user_agent="Firefox", form="subscribe", wording_hash="ab" * 32,
    )


def test_an_event_is_recorded_with_its_context(event):
    stored = ConsentEvent.objects.get(pk=event.pk)
    assert (stored.event, stored.ip, stored.form) == ("signup", "203.0.113.9", "subscribe")
    assert stored.at is not None


def test_saving_an_existing_event_is_refused(event):
    event.ip = "198.51.100.1"
    with pytest.raises(PermissionError):
        event.save()
    assert ConsentEvent.objects.get(pk=event.pk).ip == "203.0.113.9"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(pk=event.pk).update(ip="198.51.100.1")
    assert ConsentEvent.objects.filter(pk=event.pk, ip="203.0.113.9").exists()


def test_deleting_the_subscriber_does_not_cascade_into_the_log(event):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        event.subscriber.delete()
    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_the_database_itself_refuses_raw_updates_and_deletes(postgres, event):
    for sql in (
        "UPDATE subscriptions_consentevent SET ip = '198.51.100.1'",
        "DELETE FROM subscriptions_consentevent",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
    assert ConsentEvent.objects.filter(pk=event.pk, ip="203.0.113.9").exists()


def test_an_erasure_transaction_may_delete(postgres, event):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL nashra.erasure = 'on'")
        cursor.execute("DELETE FROM subscriptions_consentevent WHERE id = %s", [event.pk])
    assert not ConsentEvent.objects.filter(pk=event.pk).exists()
