"""Per-IP limits in the shared cache (real Redis under CI) and the client IP behind proxies."""

import json

import pytest
from django.test import RequestFactory

from newsroom.clientip import client_ip
from newsroom.ratelimit import Limit, parse_limits
from tests.factories import NewsletterFactory

URL = "/ar/subscribe/"


def post(client, email, **extra):
    return client.post(URL, data=json.dumps({"email": email}), content_type="application/json", **extra)


def test_limits_parse():
    assert parse_limits("20/h") == [Limit(20, 3600)]
    assert parse_limits("20/h, 50/d") == [Limit(20, 3600), Limit(50, 86400)]
    assert parse_limits("off") == []
    with pytest.raises(ValueError, match="bad rate limit"):
        parse_limits("20 per hour")


@pytest.mark.django_db
def test_the_21st_post_from_one_ip_in_an_hour_is_429(client, settings, redis_cache):
    NewsletterFactory()
    settings.SIGNUP_RATE_LIMIT = "20/h"
    codes = [post(client, f"r{i}@example.com").status_code for i in range(21)]
    assert codes == [200] * 20 + [429]
    body = post(client, "late@example.com").json()
    assert body["ok"] is False and "شبكتك" in body["errors"]["__all__"][0]
    # Another address of the same network is limited too; another network is not.
    assert post(client, "other@example.com", REMOTE_ADDR="192.0.2.7").status_code == 200


@pytest.mark.django_db
def test_the_limit_is_shared_by_every_web_process(client, settings, redis_cache):
    """The count lives in Redis, not in this process: another process sees it."""
    NewsletterFactory()
    settings.SIGNUP_RATE_LIMIT = "3/h"
    for i in range(3):
        post(client, f"r{i}@example.com")
    keys = [k.decode() for k in redis_cache._cache.get_client().keys("*rl:signup:3600:*:127.0.0.1")]
    assert len(keys) == 1
    assert int(redis_cache._cache.get_client().get(keys[0])) == 3


@pytest.mark.django_db
def test_off_disables_the_limit(client, settings):
    NewsletterFactory()
    settings.SIGNUP_RATE_LIMIT = "off"
    assert {post(client, f"r{i}@example.com").status_code for i in range(30)} == {200}


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_dodge_the_limit(client, settings):
    NewsletterFactory()
    settings.SIGNUP_RATE_LIMIT = "2/h"
    codes = [post(client, f"r{i}@example.com", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]


def test_client_ip_ignores_x_forwarded_for_from_an_untrusted_peer(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.5"


def test_client_ip_reads_x_forwarded_for_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9, 10.0.0.7")
    # Right to left: 10.0.0.7 is ours, 198.51.100.9 is the first that is not — the client.
    # 6.6.6.6 is what the client claimed, and is not believed.
    assert client_ip(request) == "198.51.100.9"


def test_a_garbled_x_forwarded_for_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(request) == "10.0.0.2"
