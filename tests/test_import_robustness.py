"""Sources that misbehave: each run fails with a clear error on the source, writes
nothing, keeps the resume point, and the next run picks up once the source is well."""

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from newsroom import importers
from newsroom.models import Article, ArticleSource
from newsroom.sources import source_import
from tests.factories import ArticleFactory, ArticleSourceFactory
from tests.wp_standin import POSTS, drip, endless, load_posts, many_posts, raw_body, server_error, slow

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
RSS = (ROOT / "tests/data/feed.xml").read_bytes()
CURSOR = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def source(site):
    site.posts = load_posts()
    # A source that ran before: its resume point must survive every failure below.
    return ArticleSourceFactory(url=f"{site.url}/", modified_after=CURSOR)


def run(source):
    result = source_import(source_id=source.pk)
    source.refresh_from_db()
    return result


def assert_failed_cleanly(source, result, message: str):
    assert message in result.error
    assert message in source.last_run_error and source.last_run_at is not None
    assert (source.last_run_new, source.last_run_updated) == (0, 0)
    assert not Article.objects.filter(source=source.slug).exists()  # nothing half-written
    assert source.modified_after == CURSOR  # the next run resumes from the same point
    assert source.running_since is None


def assert_next_run_recovers(site, source):
    site.faults.clear()
    result = run(source)
    assert (result.error, result.new) == ("", 4)
    assert source.last_run_error == ""


def test_a_truncated_json_answer(site, source):
    whole = json.dumps(site.posts, ensure_ascii=False).encode()
    site.faults[POSTS] = raw_body(whole[: len(whole) // 2])
    assert_failed_cleanly(source, run(source), "not valid JSON")
    assert_next_run_recovers(site, source)


def test_json_nested_beyond_reason(site, source):
    site.faults[POSTS] = raw_body(b"[" * 200_000)
    assert_failed_cleanly(source, run(source), "not valid JSON (maximum recursion depth exceeded")


def test_json_that_is_not_a_list_of_posts(site, source):
    site.faults[POSTS] = raw_body(b'{"code": "rest_disabled", "message": "REST API disabled"}')
    assert_failed_cleanly(source, run(source), "expected a JSON list of posts, got a JSON dict")


def test_a_site_that_claims_endless_pages_cannot_keep_runs_going(site, source):
    two_posts = json.dumps(site.posts[:2], ensure_ascii=False).encode()
    site.faults[POSTS] = raw_body(two_posts, headers={"X-WP-Total": "99999999", "X-WP-TotalPages": "999999"})
    out = StringIO()

    call_command("import_articles", source.slug, stdout=out)  # returns: that is the test

    assert Article.objects.filter(source=source.slug).count() == 2
    assert len(site.requests_to(POSTS)) <= 2 * 50 + 1  # two capped runs, at most

    site.faults[POSTS] = raw_body(b"[]", headers={"X-WP-TotalPages": "999999"})
    assert run(source).error == "" and len(site.requests_to(POSTS)) <= 2 * 50 + 2


def test_a_server_error_on_the_third_page_leaves_the_first_two_unwritten(site, source):
    site.posts = many_posts(250)
    source.modified_after = None
    source.save()
    site.faults[POSTS] = server_error(500, on_page=3)

    result = run(source)

    assert "answered HTTP 500 Internal Server Error" in result.error and "page=3" in result.error
    assert not Article.objects.exists()
    assert source.modified_after is None

    site.faults.clear()
    assert run(source).new == 250


def test_an_answer_larger_than_the_cap_is_cut_off_while_streaming(site, source, settings):
    site.faults[POSTS] = endless(50)  # 50 MB, no Content-Length: only our cap stops it
    started = time.monotonic()
    result = run(source)
    assert time.monotonic() - started < 10
    assert_failed_cleanly(source, result, "sent more than 10 MB; stopped reading")
    assert_next_run_recovers(site, source)


def test_an_answer_that_declares_a_huge_length_is_not_read_at_all(site, source):
    site.faults[POSTS] = endless(50, declare_length=True)
    assert_failed_cleanly(source, run(source), "is larger than 10 MB (50 MB)")


def test_a_server_that_does_not_answer_times_out(site, source, settings):
    settings.IMPORT_READ_TIMEOUT = 0.3
    site.faults[POSTS] = slow(2)
    started = time.monotonic()
    result = run(source)
    assert time.monotonic() - started < 1.5
    assert_failed_cleanly(source, result, "no answer within 0.3s (timed out)")


def test_a_server_that_drips_its_answer_hits_the_deadline(site, source, settings):
    settings.IMPORT_RESPONSE_DEADLINE = 0.5
    site.faults[POSTS] = drip(0.02)  # never silent long enough for the read timeout
    started = time.monotonic()
    result = run(source)
    assert time.monotonic() - started < 2
    assert_failed_cleanly(source, result, "took longer than 0.5s to send its answer")


def test_a_source_that_refuses_connections(site):
    source = ArticleSourceFactory(url="http://127.0.0.1:9/", modified_after=CURSOR)  # discard port: closed
    assert_failed_cleanly(source, run(source), "could not connect")


def test_invalid_xml_is_refused_whole_even_when_part_of_it_could_be_read(site):
    site.serve_file("/feed/", RSS[: RSS.index(b"?p=1202")])  # cut mid-entry: two entries readable
    source = ArticleSourceFactory(kind=ArticleSource.Kind.FEED, url=f"{site.url}/feed/")

    result = run(source)

    assert "not well-formed XML (line 55, column 51: no element found)" in result.error
    assert not Article.objects.exists() and source.etag == ""
    site.serve_file("/feed/", RSS)
    assert run(source).new == 4


def test_a_page_that_is_not_a_feed(site):
    site.serve_file("/feed/", b"<html><body>Not found</body></html>", "text/html")
    source = ArticleSourceFactory(kind=ArticleSource.Kind.FEED, url=f"{site.url}/feed/")
    assert "not an RSS or Atom feed" in run(source).error


def test_garbage_posts_are_skipped_one_by_one_not_the_whole_page(site, source):
    garbage = [
        "a string",
        42,
        None,
        [],
        {"id": "1201"},
        {"id": 7},
        {"id": 8, "title": 5, "link": ["x"]},
        {"id": 9, "title": {"rendered": "عنوان"}, "link": "ftp://alayam.example/9"},
        {
            "id": 10,
            "title": {"rendered": "خبر صحيح"},
            "link": "https://alayam.example/10/",
            "date_gmt": "not a date",
            "_embedded": {"wp:term": "nope", "author": {"name": 1}, "wp:featuredmedia": [7]},
        },
    ]
    site.faults[POSTS] = raw_body(json.dumps(garbage).encode())

    result = run(source)

    assert (result.error, result.new, result.skipped) == ("", 1, 8)
    survivor = Article.objects.get(source=source.slug)
    assert survivor.title == "خبر صحيح" and survivor.section.slug == "uncategorised"


def test_a_second_run_waits_while_one_is_running_but_not_behind_a_dead_one(site, source):
    source.running_since = datetime.now(UTC) - timedelta(minutes=1)
    source.save()
    assert run(source) is None and not Article.objects.exists()

    source.running_since = datetime.now(UTC) - timedelta(hours=1)  # older than any task lives
    source.save()
    assert run(source).new == 4 and source.running_since is None


def test_an_unexpected_error_is_recorded_not_raised(site, source, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(importers.wordpress, "fetch", broken)
    result = run(source)
    assert result.error == "unexpected error: KeyError: 'surprise'"
    assert source.last_run_error == result.error and source.running_since is None


def test_a_failed_write_rolls_back_everything_of_the_run(site, source, monkeypatch):
    from newsroom import services

    ArticleFactory(source=source.slug, external_id="1204", title="قديم", status="published")

    def unpublish_then_fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "articles_unpublish", unpublish_then_fail)
    result = run(source)

    assert "database went away" in result.error
    assert Article.objects.filter(source=source.slug).count() == 1  # the upserts were rolled back
    assert Article.objects.get(source=source.slug).title == "قديم"
    assert source.modified_after == CURSOR


def test_the_command_turns_a_failure_into_a_message_and_no_traceback(site, source):
    site.faults[POSTS] = server_error(503, "Service Unavailable")
    with pytest.raises(
        CommandError, match=r"failed \(this run wrote nothing\): .* answered HTTP 503 Service Unavailable"
    ):
        call_command("import_articles", source.slug, stdout=StringIO())


def test_a_location_that_fails_its_first_import_is_not_kept_as_a_source(tmp_path):
    broken = tmp_path / "feed.xml"
    broken.write_bytes(RSS[:500])
    with pytest.raises(CommandError, match="not well-formed XML"):
        call_command("import_articles", str(broken), stdout=StringIO())
    assert not ArticleSource.objects.exists()


@pytest.mark.parametrize(
    "argument, message",
    [
        ("tests/data/no-such-feed.xml", "no such file: tests/data/no-such-feed.xml"),
        ("http://127.0.0.1:9/feed/", "could not connect"),
    ],
)
def test_bad_input_on_the_command_line_exits_non_zero_with_a_message(argument, message):
    from tests.conftest import database_url_for_other_processes

    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url_for_other_processes(), "LOG_FORMAT": "text"}
    done = subprocess.run(
        [sys.executable, "manage.py", "import_articles", argument],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
