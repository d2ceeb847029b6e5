"""A reader on the news site: the widget in an iframe from another origin, the
verification email, one click to confirm — and a link scanner that confirms nothing."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core import mail

from subscriptions.models import ConsentEvent, Subscriber
from tests.factories import NewsletterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class NewsSite:
    """Another origin (127.0.0.1 vs the live server's localhost) with a sidebar iframe."""

    def __init__(self, widget_url: str):
        page = (
            '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>الأيام</title></head>'
            '<body style="font-family:Tahoma"><main style="display:flex;gap:16px">'
            "<article style='flex:1'><h1>جريدة الأيام</h1><p>أخبار اليوم…</p></article>"
            f'<aside style="width:300px"><iframe id="nashra" src="{widget_url}" width="300" height="480" '
            'style="border:1px solid #ddd" title="نشرة"></iframe></aside></main></body></html>'
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def news_site(live_server, settings):
    site = NewsSite(f"{live_server.url}/ar/subscribe/embed/")
    settings.SIGNUP_FRAME_ANCESTORS = [site.origin]
    settings.SITE_URL = live_server.url
    yield site
    site.close()


def test_subscribe_from_the_embedded_widget_then_confirm_in_one_click(page, live_server, news_site, artifacts):
    NewsletterFactory(description="رسالة إلكترونية تسلط الضوء على أبرز ما نشر في الجريدة.")
    page.goto(news_site.origin)
    widget = page.frame_locator("#nashra")
    widget.locator("input[name=name]").fill("سارة الخطيب")
    widget.locator("input[name=email]").fill("sara@example.com")
    page.screenshot(path=artifacts / "widget-ar.png")
    page.wait_for_timeout(2100)  # a person takes longer than the bot threshold to fill it in
    widget.get_by_role("button", name="اشترك الآن").click()
    message = widget.locator(".signup-message.ok")
    message.wait_for()
    assert message.inner_text() == "يرجى مراجعة بريدك الوارد! أرسلنا إليك رسالة للتحقق من عنوانك."
    page.locator("#nashra").screenshot(path=artifacts / "widget-ar-success.png")

    subscriber = Subscriber.objects.get()
    assert (subscriber.name, subscriber.status) == ("سارة الخطيب", "pending")
    assert ConsentEvent.objects.get().form == "embed"
    (email,) = mail.outbox
    link = re.search(r"https?://\S+/confirm/\S+/", email.body).group(0)

    # A mail scanner fetches the link without running scripts: nothing changes.
    scanned = requests.get(link, headers={"User-Agent": "SafeLinks/1.0"}, timeout=10)
    assert scanned.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"

    # The reader clicks once: the page confirms by itself.
    page.goto(link)
    page.get_by_text("شكراً لك! تم تأكيد اشتراكك.").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    page.screenshot(path=artifacts / "confirmed-ar.png")


def test_the_english_widget(page, live_server, news_site, artifacts):
    NewsletterFactory(name="This Week", description="The week's most notable stories.")
    page.goto(f"{live_server.url}/en/subscribe/embed/")
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.set_viewport_size({"width": 320, "height": 520})
    page.locator("input[name=email]").fill("not an address")
    page.wait_for_timeout(2100)
    page.get_by_role("button", name="Subscribe now").click()
    error = page.locator('.field-error[data-for="email"]')
    error.wait_for()
    page.wait_for_function("document.querySelector('.field-error[data-for=email]').textContent.length > 0")
    assert error.inner_text() == "Enter a valid email address."
    page.screenshot(path=artifacts / "widget-en.png")
    assert not Subscriber.objects.exists()


def test_only_the_widget_may_be_framed_and_only_by_allowed_sites(live_server, news_site):
    widget = requests.get(f"{live_server.url}/ar/subscribe/embed/", timeout=10)
    assert f"frame-ancestors 'self' {news_site.origin}" in widget.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget.headers
    page = requests.get(f"{live_server.url}/ar/subscribe/", timeout=10)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_a_framing_site_not_on_the_list_is_blocked_by_the_browser(page, live_server, news_site, settings):
    settings.SIGNUP_FRAME_ANCESTORS = ["https://someone-else.example"]
    NewsletterFactory()
    page.goto(news_site.origin)
    page.wait_for_timeout(1000)
    frame = page.frame(url=re.compile(r"/subscribe/embed/"))
    # Chromium refuses to render a page whose frame-ancestors exclude the embedder.
    assert frame is None or frame.locator("form.signup").count() == 0
