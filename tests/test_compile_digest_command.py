from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from subscriptions.models import Digest
from tests.factories import NewsletterFactory, SectionFactory, published, slot_end

pytestmark = pytest.mark.django_db


def compile_digest(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("compile_digest", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_it_prints_the_id_of_the_digest_ending_at_the_send_time_of_the_given_day():
    published(section=SectionFactory(slug="news"), title="خبر")
    newsletter = NewsletterFactory()

    printed, summary = compile_digest("--newsletter", "this-week", "--end", "2026-11-26")

    digest = Digest.objects.get()
    assert printed == str(digest.pk)
    assert digest.newsletter == newsletter and digest.period_end == slot_end()
    assert "1" in summary and digest.subject in summary
    # The same day again names the same digest.
    assert compile_digest("--end", "2026-11-26")[0] == printed


def test_without_an_end_the_period_ends_now():
    published(section=SectionFactory(slug="news"), end=datetime.now(ZoneInfo("UTC")))
    NewsletterFactory()

    printed, _ = compile_digest()

    digest = Digest.objects.get(pk=int(printed))
    assert abs(digest.period_end - datetime.now(ZoneInfo("UTC"))) < timedelta(minutes=2)


def test_an_empty_week_is_a_clear_error():
    NewsletterFactory()
    with pytest.raises(CommandError, match="nothing new was published"):
        compile_digest("--end", "2026-11-26")
    assert not Digest.objects.exists()


def test_an_unknown_newsletter_is_a_clear_error():
    NewsletterFactory()
    with pytest.raises(CommandError, match="unknown newsletter 'nope' .*this-week"):
        compile_digest("--newsletter", "nope")


def test_a_malformed_date_is_refused():
    NewsletterFactory()
    with pytest.raises(CommandError, match="--end"):
        compile_digest("--end", "26/11/2026")
