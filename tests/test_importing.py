"""Importing subscribers from CSV: every row checked first, then one transaction;
a report of what was taken and what was refused, and why."""

import hashlib

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation

from subscriptions import importing
from subscriptions.importing import ImportFileError, ImportMode, subscribers_import
from subscriptions.leaving import subscriber_erase
from subscriptions.models import ConsentEvent, Subscriber, Subscription
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Accounts here are made per test: a quick hasher instead of ~1 s of PBKDF2 each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english():
    """Service and command messages in English here; the admin pages (/ar/) stay Arabic."""
    with translation.override("en"):
        yield

MIXED = """email,name,language,newsletters
sara@example.com,سارة,ar,this-week
omar@example.com,Omar,en,this-week|sport
SARA@Example.com,,,sport
not-an-address,Someone,ar,
erased@example.com,Gone,ar,
evil@example.com,"=HYPERLINK(""http://x"")",ar,
+33123@example.com,Plus,ar,
old@example.com,Old,ar,this-week
left@example.com,Left,ar,
fr@example.com,Français,fr,
who@example.com,Who,ar,no-such-letter
"""


@pytest.fixture
def newsletters():
    return NewsletterFactory(), NewsletterFactory(slug="sport", name="رياضة")


@pytest.fixture
def world(newsletters):
    weekly, _sport = newsletters
    erased = SubscriberFactory(email="erased@example.com")
    subscriber_erase(subscriber_id=erased.pk)
    SubscriptionFactory(subscriber__email="old@example.com", newsletter=weekly)
    SubscriberFactory(email="left@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    return weekly


def reasons(report) -> dict[int, str]:
    return {r.line: r.reason for r in report.rejected}


@pytest.mark.parametrize("copy", [True, False], ids=["COPY", "bulk_create"])
def test_a_mixed_file_gives_the_right_report(world, django_capture_on_commit_callbacks, monkeypatch, copy):
    monkeypatch.setattr(importing, "USE_COPY", copy)  # PostgreSQL's path and everyone else's
    with django_capture_on_commit_callbacks(execute=True):
        report = subscribers_import(data=MIXED.encode(), default_newsletter=world, editor="amal")
    assert (report.rows, report.created, report.updated, report.unchanged, report.merged) == (11, 2, 0, 1, 1)
    rejected = reasons(report)
    assert sorted(rejected) == [5, 6, 7, 8, 10, 11, 12]
    assert "Not an email address" in rejected[5]
    assert "Erased on request" in rejected[6]
    assert "formula" in rejected[7] and "“name”" in rejected[7]
    assert "formula" in rejected[8] and "“email”" in rejected[8]
    assert "Unsubscribed earlier" in rejected[10]
    assert "Unknown language “fr”" in rejected[11]
    assert "Unknown newsletter “no-such-letter”" in rejected[12]
    assert report.rejected_count == 7

    # New readers are pending, asked to verify, for every newsletter their rows named.
    sara = Subscriber.objects.get(email="sara@example.com")
    assert (sara.status, sara.source, sara.name) == ("pending", "import", "سارة")
    assert set(ConsentEvent.objects.filter(subscriber=sara, event="signup").values_list("newsletter__slug", flat=True)) \
        == {"this-week", "sport"}
    assert sorted(m.to[0] for m in mail.outbox) == ["omar@example.com", "sara@example.com"]
    assert report.verifications == 2
    assert not Subscription.objects.filter(subscriber=sara).exists()  # only a click subscribes
    assert not Subscriber.objects.filter(email__in=["evil@example.com", "fr@example.com", "who@example.com"]).exists()
    assert Subscriber.objects.filter(email__iexact="erased@example.com").count() == 0


@pytest.mark.parametrize("copy", [True, False], ids=["COPY", "bulk_create"])
def test_already_consented_elsewhere_subscribes_now_and_logs_the_attestation(world, monkeypatch, copy):
    monkeypatch.setattr(importing, "USE_COPY", copy)
    attestation = "Signed up on paper at the 2026 book fair; forms kept at the front desk."
    report = subscribers_import(data=MIXED.encode(), mode=ImportMode.CONSENTED, default_newsletter=world,
                                editor="amal", attestation=attestation)
    assert (report.created, report.rejected_count, report.verifications) == (2, 7, 0)
    omar = Subscriber.objects.get(email="omar@example.com")
    assert omar.status == "confirmed" and omar.confirmed_at is not None
    assert set(omar.subscriptions.values_list("newsletter__slug", "status")) == {
        ("this-week", "subscribed"), ("sport", "subscribed")}
    events = ConsentEvent.objects.filter(subscriber=omar)
    assert {e.event for e in events} == {"import"} and events.count() == 2
    event = events.first()
    assert event.detail == f"amal: {attestation}" and event.form == "import"
    assert event.wording_hash == hashlib.sha256(attestation.encode()).hexdigest()
    assert mail.outbox == []


def test_existing_readers_keep_their_details_and_only_gain_what_is_new(newsletters, django_capture_on_commit_callbacks):
    weekly, sport = newsletters
    reader = SubscriptionFactory(subscriber__email="Reader@Example.com", subscriber__name="الاسم القديم",
                                 newsletter=weekly).subscriber
    data = "email,name,newsletters\nreader@example.com,New Name,this-week;sport\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        report = subscribers_import(data=data, mode=ImportMode.CONSENTED, editor="amal", attestation="stand")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    reader.refresh_from_db()
    assert reader.name == "الاسم القديم"
    assert set(reader.subscriptions.values_list("newsletter__slug", flat=True)) == {"this-week", "sport"}
    assert list(ConsentEvent.objects.filter(subscriber=reader).values_list("newsletter__slug", flat=True)) == ["sport"]
    again = subscribers_import(data=data, mode=ImportMode.CONSENTED, editor="amal", attestation="stand")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


@pytest.mark.parametrize("copy", [True, False], ids=["COPY", "bulk_create"])
def test_a_reader_who_left_and_asked_again_is_subscribed_again(newsletters, monkeypatch, copy):
    monkeypatch.setattr(importing, "USE_COPY", copy)
    weekly, sport = newsletters
    # Left the weekly, then signed up again (pending): the import's attested consent
    # turns their old subscription row back on and adds the new one.
    back = SubscriptionFactory(subscriber__email="back@example.com", subscriber__status="pending", newsletter=weekly,
                               status="unsubscribed").subscriber
    data = b"email,newsletters\nback@example.com,this-week|sport\n"
    report = subscribers_import(data=data, mode=ImportMode.CONSENTED, editor="amal", attestation="phone call")
    assert (report.updated, report.rejected_count) == (1, 0)
    back.refresh_from_db()
    assert back.status == "confirmed"
    assert set(back.subscriptions.values_list("newsletter__slug", "status")) == {
        ("this-week", "subscribed"), ("sport", "subscribed")}


def test_a_dry_run_reports_and_changes_nothing(world):
    before = (Subscriber.objects.count(), ConsentEvent.objects.count(), Subscription.objects.count())
    report = subscribers_import(data=MIXED.encode(), default_newsletter=world, editor="amal", dry_run=True)
    assert report.dry_run and report.created == 2 and report.rejected_count == 7
    assert (Subscriber.objects.count(), ConsentEvent.objects.count(), Subscription.objects.count()) == before
    assert mail.outbox == []


@pytest.mark.parametrize("data, message", [
    ("email,name\nlayla@example.com,ليلى\n".encode("utf-16"), "not UTF-8"),
    ("email,name\nlayla@example.com,ليلى\n".encode("cp1256"), "not UTF-8"),
    (b"name,language\nLayla,ar\n", "at least \u201cemail\u201d"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    (b"email,email\na@example.com,b@example.com\n", "named twice"),
    (b"=cmd|' /C calc'!A0,name\nlayla@example.com,x\n", "at least \u201cemail\u201d"),
])
def test_bad_files_are_refused_whole_and_change_nothing(newsletters, data, message):
    SubscriberFactory(email="layla@example.com", name="unchanged")
    before = (Subscriber.objects.count(), ConsentEvent.objects.count())
    with pytest.raises(ImportFileError, match=message):
        subscribers_import(data=data, default_newsletter=newsletters[0], editor="amal")
    assert (Subscriber.objects.count(), ConsentEvent.objects.count()) == before
    assert Subscriber.objects.get(email="layla@example.com").name == "unchanged"


def test_a_50_mb_file_is_refused(newsletters):
    data = b"email\n" + b"x" * (50 * 1024 * 1024)
    with pytest.raises(ImportFileError, match="larger than 20 MB"):
        subscribers_import(data=data, default_newsletter=newsletters[0], editor="amal")
    assert Subscriber.objects.count() == 0


def test_a_failure_while_writing_rolls_everything_back(newsletters, monkeypatch):
    insert = importing._insert

    def boom(model, columns, rows):
        if model is ConsentEvent:  # the last of the writes
            raise RuntimeError("the database went away")
        insert(model, columns, rows)

    monkeypatch.setattr(importing, "_insert", boom)
    with pytest.raises(RuntimeError):
        subscribers_import(data=b"email\na@example.com\nb@example.com\n", default_newsletter=newsletters[0],
                           editor="amal")
    assert Subscriber.objects.count() == 0


def test_consent_elsewhere_needs_an_attestation_and_an_editor(newsletters):
    with pytest.raises(ImportFileError, match="attestation"):
        subscribers_import(data=b"email\na@example.com\n", mode=ImportMode.CONSENTED, editor="amal",
                           default_newsletter=newsletters[0])
    with pytest.raises(ImportFileError, match="editor"):
        subscribers_import(data=b"email\na@example.com\n", mode=ImportMode.CONSENTED, attestation="yes",
                           default_newsletter=newsletters[0])


def test_semicolons_a_bom_and_export_columns_are_understood(newsletters):
    data = "\ufeffemail;name;status;created_at\nlayla@example.com;ليلى;confirmed;2026-01-01\n".encode()
    report = subscribers_import(data=data, default_newsletter=newsletters[0], editor="amal", dry_run=True)
    assert report.created == 1 and report.ignored_columns == ["status", "created_at"]


def test_thousands_of_rows_take_a_fixed_number_of_queries(newsletters, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 1000)
    rows = "".join(f"reader{i}@example.com,قارئ {i},ar,this-week\n" for i in range(3000))
    data = ("email,name,language,newsletters\n" + rows).encode()
    # Bulk statements: by the 1,000, not one save() per row.
    with django_assert_max_num_queries(20):
        report = subscribers_import(data=data, mode=ImportMode.CONSENTED, editor="amal", attestation="fair")
    assert report.created == 3000 and Subscription.objects.count() == 3000 and ConsentEvent.objects.count() == 3000


def test_the_command_prints_the_report(world, tmp_path, staff_user, capsys):
    path = tmp_path / "readers.csv"
    path.write_text(MIXED, encoding="utf-8")
    call_command("import_subscribers", str(path), "--consented", "Book fair forms", "--editor", "amal")
    out = capsys.readouterr().out
    assert out.startswith("11 rows: 2 new, 0 existing updated, 1 already subscribed, 1 duplicates merged, 7 rejected")
    assert "line 6: erased@example.com: Erased on request" in out
    assert Subscriber.objects.get(email="omar@example.com").status == "confirmed"


def test_the_command_refuses_a_bad_file_with_the_reason(tmp_path, newsletters):
    path = tmp_path / "bad.csv"
    path.write_bytes("email\nليلى@example.com\n".encode("cp1256"))
    with pytest.raises(CommandError, match="not UTF-8 text.*Nothing was imported"):
        call_command("import_subscribers", str(path))
    with pytest.raises(CommandError, match="--editor"):
        call_command("import_subscribers", str(path), "--consented", "fair")


def test_the_admin_upload_page_imports_and_reports(client, staff_user, world, django_capture_on_commit_callbacks):
    client.force_login(staff_user)
    url = "/ar/admin/subscriptions/subscriber/import/"
    assert "name=\"attestation\"" in client.get(url).content.decode()
    hostile = MIXED + "<b>bold</b>@example.com,x,ar,\n"
    upload = SimpleUploadedFile("readers.csv", hostile.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload, "mode": "verify", "newsletter": world.pk})
    html = response.content.decode()
    assert 'data-figure="created">2<' in html and 'data-figure="rejected">8<' in html
    assert "erased@example.com" in html and "حُذف بناءً على طلبه" in html
    assert '<td dir="ltr">evil@example.com</td>' in html
    assert "&lt;b&gt;bold&lt;/b&gt;@example.com" in html and "<b>bold</b>" not in html
    assert Subscriber.objects.filter(email="sara@example.com", status="pending").exists()


def test_the_admin_upload_page_refuses_a_bad_file_and_changes_nothing(client, staff_user, newsletters):
    client.force_login(staff_user)
    upload = SimpleUploadedFile("readers.csv", b"name\nLayla\n", content_type="text/csv")
    response = client.post("/ar/admin/subscriptions/subscriber/import/",
                           {"file": upload, "mode": "consented", "attestation": "", "newsletter": newsletters[0].pk})
    html = response.content.decode()
    assert "اذكر أين وكيف وافق" in html  # the attestation is required for this mode
    upload.seek(0)
    response = client.post("/ar/admin/subscriptions/subscriber/import/",
                           {"file": upload, "mode": "verify", "newsletter": newsletters[0].pk})
    assert "لم يُستورد شيء" in response.content.decode()
    assert Subscriber.objects.count() == 0
