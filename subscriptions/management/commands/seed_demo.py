"""Demo content: this week's Arabic articles, the "this week" newsletter, a staff
account, and optionally N confirmed readers. Safe to run again: it updates in place."""

import secrets
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from newsroom.demo import seed_articles
from subscriptions.demo import seed_digests, seed_newsletter, seed_subscribers
from subscriptions.links import digest_admin_url, digest_web_url

STAFF_USERNAME = "editor"


class Command(BaseCommand):
    help = "Seed demo articles, a newsletter, a staff account and (optionally) N subscribers."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subscribers", type=int, default=0, metavar="N",
            help="make N confirmed, subscribed demo readers (bulk; 1,000,000 takes minutes)",
        )

    def handle(self, *args, subscribers: int, **options):
        if subscribers < 0:
            raise CommandError("--subscribers must be 0 or more")
        with transaction.atomic():
            articles = seed_articles()
            newsletter = seed_newsletter()
            password = self._staff_account()
            current, previous = seed_digests(newsletter=newsletter)
        self.stdout.write(f"articles: {articles} this week; newsletter: {newsletter.slug}")
        if current is not None:
            self.stdout.write(f"this week's digest: {current.pk} ({current.get_status_display()}) "
                              f"{digest_admin_url(current.pk)}")
        if previous is not None:
            self.stdout.write(f"last week's digest (sent, in the archive): {digest_web_url(previous)}")
        if subscribers:
            started = time.monotonic()
            created = seed_subscribers(newsletter=newsletter, count=subscribers)
            elapsed = time.monotonic() - started
            self.stdout.write(f"subscribers: {subscribers} demo readers ({created} new) in {elapsed:.1f}s")
        self.stdout.write(self.style.SUCCESS(f"staff login: {STAFF_USERNAME} / {password}"))

    def _staff_account(self) -> str:
        # A fresh password each run, printed once: the demo never ships a known one.
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(
            username=STAFF_USERNAME, defaults={"email": "editor@example.com"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password
