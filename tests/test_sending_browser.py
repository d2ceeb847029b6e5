"""The editor watches a send: the digest page's counts move by themselves."""

import re

import pytest
from playwright.sync_api import expect

from subscriptions import sending
from tests.conftest import admin_sign_in
from tests.sending_helpers import approved_digest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_progress_panel_updates_live(page, live_server, staff_user, settings, artifacts):
    settings.SEND_BATCH_SIZE = 5
    digest = approved_digest(readers=20)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    sending.batch_send(digest_id=digest.pk, number=queued[0])

    admin_sign_in(page, f"{live_server.url}/ar/admin/subscriptions/digest/{digest.pk}/change/")
    sent = page.locator('.send-progress [data-key="sent"]')
    sent.wait_for()
    assert sent.inner_text() in ("5", "٥")
    assert page.get_by_role("button", name="إيقاف الإرسال مؤقتاً").count() == 1

    for number in queued[1:3]:
        sending.batch_send(digest_id=digest.pk, number=number)
    # No reload: the page's script polls the ledger counts.
    expect(sent).to_have_text(re.compile(r"^(15|١٥)$"), timeout=10_000)
    assert page.locator(".send-progress progress").evaluate("el => el.value") == 15
    page.screenshot(path=artifacts / "admin-digest-sending-ar.png", full_page=True)
