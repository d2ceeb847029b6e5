"""Subscribers out as CSV: streamed in chunks (memory does not grow with the list),
formula cells neutralised, and a file that imports back to the same readers."""

import csv
import io
import tracemalloc

import pytest
from django.core.management import call_command
from django.utils import translation

from subscriptions import exporting
from subscriptions.exporting import COLUMNS, csv_chunks, spreadsheet_safe, subscribers_export_rows
from subscriptions.importing import ImportMode, subscribers_import
from subscriptions.models import Subscriber, Subscription
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def export(queryset=None) -> list[list[str]]:
    text = "".join(csv_chunks(subscribers_export_rows(queryset=queryset or Subscriber.objects.all())))
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("value, safe", [
    ("=1+2", "'=1+2"), ("+9639", "'+9639"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("سارة", "سارة"), ("a=b", "a=b"), ("", ""),
])
def test_cells_a_spreadsheet_would_run_are_neutralised(value, safe):
    assert spreadsheet_safe(value) == safe


def test_the_export_has_every_column_and_neutralises_names():
    weekly, sport = NewsletterFactory(), NewsletterFactory(slug="sport", name="رياضة")
    reader = SubscriptionFactory(newsletter=weekly, subscriber__email="sara@example.com",
                                 subscriber__name="=HYPERLINK(\"http://x\")").subscriber
    Subscription.objects.create(subscriber=reader, newsletter=sport)
    Subscription.objects.create(subscriber=SubscriberFactory(email="left@example.com", status="unsubscribed"),
                                newsletter=sport, status="unsubscribed")
    header, *rows = export()
    assert header == COLUMNS
    assert rows[0][:6] == ["sara@example.com", "'=HYPERLINK(\"http://x\")", "ar", "this-week|sport", "confirmed", "form"]
    assert rows[0][6].endswith("+03:00")  # local time, with its offset
    assert rows[1][:5] == ["left@example.com", "سارة", "ar", "", "unsubscribed"]  # left newsletters are not listed


def test_an_export_imports_back_to_the_same_readers():
    weekly, sport = NewsletterFactory(), NewsletterFactory(slug="sport", name="رياضة")
    for i in range(30):
        reader = SubscriberFactory(email=f"r{i}@example.com", name=f"قارئ {i}", language="en" if i % 3 else "ar")
        Subscription.objects.create(subscriber=reader, newsletter=weekly)
        if i % 2:
            Subscription.objects.create(subscriber=reader, newsletter=sport)
    exported = export()
    data = "".join(csv_chunks(exported)).encode()
    Subscriber.objects.all().delete()

    with translation.override("en"):
        report = subscribers_import(data=data, mode=ImportMode.CONSENTED, editor="amal", attestation="restore")
    assert report.created == 30 and report.rejected_count == 0 and report.ignored_columns == COLUMNS[4:]
    again = export()
    key = slice(0, 5)  # email, name, language, newsletters, status; dates are new
    assert [row[key] for row in again] == [row[key] for row in exported]


def _peak_while_exporting() -> tuple[int, int]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    rows = 0
    for chunk in csv_chunks(subscribers_export_rows(queryset=Subscriber.objects.all()), rows_per_chunk=exporting.CHUNK):
        rows += chunk.count("\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, rows


def test_streaming_uses_bounded_memory(monkeypatch):
    newsletter = NewsletterFactory()

    def add(start, count):
        readers = Subscriber.objects.bulk_create(
            Subscriber(email=f"reader{i}@example.com", name="سارة الخطيب", status="confirmed")
            for i in range(start, start + count))
        Subscription.objects.bulk_create(Subscription(subscriber=r, newsletter=newsletter) for r in readers)

    monkeypatch.setattr(exporting, "CHUNK", 250)
    add(0, 800)
    small, rows = _peak_while_exporting()
    assert rows == 801
    add(800, 2400)
    large, rows = _peak_while_exporting()
    assert rows == 3201
    # Four times the rows, about the same peak: one chunk of rows in memory at a time.
    assert large < small * 1.5, (small, large)
    # The same export in one chunk holds every row at once: the bound above is real.
    monkeypatch.setattr(exporting, "CHUNK", 10**9)
    whole, _ = _peak_while_exporting()
    assert whole > 2 * large, (large, whole)


def test_the_command_filters_by_status_and_newsletter(tmp_path, capsys):
    weekly, sport = NewsletterFactory(), NewsletterFactory(slug="sport", name="رياضة")
    SubscriptionFactory(newsletter=weekly, subscriber__email="a@example.com")
    SubscriptionFactory(newsletter=sport, subscriber__email="b@example.com")
    SubscriberFactory(email="p@example.com", status="pending")

    call_command("export_subscribers")
    assert [r[0] for r in csv.reader(io.StringIO(capsys.readouterr().out))][1:] == [
        "a@example.com", "b@example.com", "p@example.com"]
    call_command("export_subscribers", "--newsletter", "sport")
    assert [r[0] for r in csv.reader(io.StringIO(capsys.readouterr().out))][1:] == ["b@example.com"]
    out = tmp_path / "pending.csv"
    call_command("export_subscribers", "--status", "pending,unsubscribed", "--output", str(out))
    assert [r[0] for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8")))][1:] == ["p@example.com"]
