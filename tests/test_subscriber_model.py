import pytest
from django.db import IntegrityError, transaction

from subscriptions.models import Subscriber
from subscriptions.normalize import normalize_email
from tests.factories import SubscriberFactory


def test_domain_is_lower_cased_and_local_part_kept():
    assert normalize_email("  Reader.Name@Example.COM ") == "Reader.Name@example.com"


def test_idn_domain_is_idna_encoded():
    assert normalize_email("qari@bücher.example") == "qari@xn--bcher-kva.example"
    assert normalize_email("qari@مثال.إختبار") == "qari@xn--mgbh0fb.xn--kgbechtv"


@pytest.mark.parametrize("bad", ["", "no-at-sign", "@example.com", "reader@", "a@b..c"])
def test_not_an_address_is_refused(bad):
    with pytest.raises(ValueError):
        normalize_email(bad)


@pytest.mark.django_db
def test_saving_normalises_the_stored_address():
    s = SubscriberFactory(email="Amal@Example.COM")
    s.refresh_from_db()
    assert s.email == "Amal@example.com"


@pytest.mark.django_db
def test_the_same_mailbox_in_another_case_is_a_duplicate():
    SubscriberFactory(email="A@Example.COM")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberFactory(email="a@example.com")
    assert Subscriber.objects.count() == 1


@pytest.mark.django_db
def test_an_idn_address_and_its_punycode_are_one_subscriber():
    SubscriberFactory(email="qari@bücher.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberFactory(email="QARI@xn--bcher-kva.example")


@pytest.mark.django_db
def test_lookup_by_email_matches_case_blind_and_idn():
    s = SubscriberFactory(email="Qari@Bücher.example")
    assert list(Subscriber.objects.with_email("qari@BÜCHER.example")) == [s]
    assert not Subscriber.objects.with_email("other@bücher.example").exists()


@pytest.mark.django_db
def test_status_is_stored_as_the_lower_case_word():
    s = SubscriberFactory(status=Subscriber.Status.COMPLAINED)
    assert Subscriber.objects.filter(pk=s.pk).values_list("status", flat=True).get() == "complained"
