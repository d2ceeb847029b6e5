"""The weekly digest: compile a period's articles into a draft, let editors approve it
(which renders it once), and find the newsletters whose weekly slot has come.

Plain functions, keyword-only: the admin, ``compile_digest``, the beat task and a shell
all call these. Articles are read only through ``newsroom.selectors``.

How a digest is chosen (README "The weekly digest" says the same for editors):

1. Candidates: articles published in ``[period_end - 7 days, period_end)``, minus any
   article already in an approved or sent digest of the same newsletter (so overlapping
   periods never repeat a story).
2. Every article gets one rank: editors' picks first, then most viewed, then newest,
   then highest id — a total order, so the same articles always give the same digest.
3. Top stories: the best ``top_limit`` news articles (never the light section).
4. The light group gets up to ``light_limit`` of the light section's best, reserved
   before section highlights so a full week still ends on something lighter.
5. Section highlights fill what is left of ``total_limit``: round-robin over sections
   in section order (each section's best, then each one's second…), at most
   ``per_section_limit`` each, so one busy section cannot crowd out the rest.
6. Order: top stories, then the highlights grouped by section, then the light group.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from newsroom.models import Article, Section
from newsroom.selectors import articles_by_ids, articles_published_between
from subscriptions.dates import date_range, period_days
from subscriptions.models import Digest, DigestItem, Newsletter

log = logging.getLogger(__name__)

PERIOD = timedelta(days=7)
# Hard ceiling on items, whatever a newsletter's total_limit says: ~50 items keep the
# HTML far under Gmail's ~102 KB clipping (tests pin the size at this maximum).
MAX_ITEMS = 50
# Articles in digests with these statuses are spoken for: never picked again.
USED_STATUSES = (
    Digest.Status.APPROVED, Digest.Status.SENDING, Digest.Status.PAUSED, Digest.Status.SENT,
)
# A slot older than this is left to the editors: a newsletter created on a Friday, or a
# beat that was down for days, must not auto-send last week's news.
SLOT_GRACE = timedelta(hours=24)
EMPTY_RECHECK = 3600  # seconds


class DigestStateError(Exception):
    """The digest is not in a state that allows this; the message is for editors."""


# --------------------------------------------------------------------------- selection
@dataclass(frozen=True)
class Pick:
    group: str
    article: Article
    section_id: int | None


def _rank(article: Article) -> tuple:
    return (not article.editors_pick, -article.views, -article.published_at.timestamp(), -article.pk)


def _section_order(section: Section) -> tuple:
    return (section.order, section.pk)


def select_items(
    articles: Sequence[Article], *, top_limit: int, per_section_limit: int, light_limit: int, total_limit: int
) -> list[Pick]:
    """Rank and group candidate articles (their ``section`` loaded); see the module doc."""
    budget = max(0, min(total_limit, MAX_ITEMS))
    ranked = sorted(articles, key=_rank)
    news = [a for a in ranked if a.section.kind != Section.Kind.LIGHT]
    light_pool = [a for a in ranked if a.section.kind == Section.Kind.LIGHT]

    top = news[: min(top_limit, budget)]
    budget -= len(top)
    light = light_pool[: min(light_limit, budget)]
    budget -= len(light)

    by_section: dict[int, list[Article]] = {}
    sections: dict[int, Section] = {}
    for article in news[len(top) :]:
        queue = by_section.setdefault(article.section_id, [])
        if len(queue) < per_section_limit:
            queue.append(article)
            sections[article.section_id] = article.section
    order = sorted(sections.values(), key=_section_order)
    chosen: set[int] = set()
    round_ = 0
    while budget > 0 and any(len(by_section[s.pk]) > round_ for s in order):
        for section in order:
            queue = by_section[section.pk]
            if round_ < len(queue) and budget > 0:
                chosen.add(queue[round_].pk)
                budget -= 1
        round_ += 1

    picks = [Pick(DigestItem.Group.TOP, a, None) for a in top]
    picks += [
        Pick(DigestItem.Group.SECTION, a, section.pk)
        for section in order
        for a in by_section[section.pk]
        if a.pk in chosen
    ]
    picks += [Pick(DigestItem.Group.LIGHT, a, None) for a in light]
    return picks


# --------------------------------------------------------------------------- compile
def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def digest_dates(*, newsletter: Newsletter, period_start: datetime, period_end: datetime) -> str:
    zone = local_zone()
    first, last = period_days(period_start.astimezone(zone), period_end.astimezone(zone))
    return date_range(
        first, last,
        language=newsletter.language,
        levantine=newsletter.month_names == Newsletter.MonthNames.LEVANTINE,
    )


def digest_subject(*, newsletter: Newsletter, period_start: datetime, period_end: datetime) -> str:
    dates = digest_dates(newsletter=newsletter, period_start=period_start, period_end=period_end)
    subject = newsletter.subject_template.replace("{name}", newsletter.name).replace("{dates}", dates)
    # A subject is a header: one line, whatever the template or name holds.
    return " ".join(subject.split())[:200]


def _unique_slug(newsletter: Newsletter, period_end: datetime) -> str:
    last_day = (period_end.astimezone(local_zone()) - timedelta(microseconds=1)).date()
    base = f"{newsletter.slug}-{last_day.isoformat()}"
    slug, n = base, 1
    # Rare: two digests of one newsletter ending on the same day (an editor's ad-hoc
    # compile and the slot's). The caller holds the newsletter lock, so no race here.
    while Digest.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def digest_compile(*, newsletter: Newsletter, period_end: datetime) -> Digest | None:
    """The draft digest of the 7 days ending at ``period_end``, made once.

    Returns the existing digest if this newsletter already has one for that exact
    period, None (and a log line) when nothing new was published in it.
    """
    period_start = period_end - PERIOD
    with transaction.atomic():
        # Serialises compiles of one newsletter (the beat on two hosts, an editor's
        # command): the second waits here, then finds the first one's digest.
        Newsletter.objects.select_for_update().filter(pk=newsletter.pk).values_list("pk").get()
        existing = Digest.objects.filter(newsletter=newsletter, period_end=period_end).first()
        if existing is not None:
            return existing
        used = DigestItem.objects.filter(
            digest__newsletter=newsletter, digest__status__in=USED_STATUSES
        ).values("article_id")
        candidates = list(articles_published_between(start=period_start, end=period_end, exclude_ids=used))
        picks = select_items(
            candidates,
            top_limit=newsletter.top_limit,
            per_section_limit=newsletter.per_section_limit,
            light_limit=newsletter.light_limit,
            total_limit=newsletter.total_limit,
        )
        if not picks:
            log.info(
                "digest: nothing new published, no digest",
                extra={"newsletter": newsletter.slug, "period_start": period_start, "period_end": period_end},
            )
            return None
        digest = Digest.objects.create(
            newsletter=newsletter,
            period_start=period_start,
            period_end=period_end,
            subject=digest_subject(newsletter=newsletter, period_start=period_start, period_end=period_end),
            slug=_unique_slug(newsletter, period_end),
        )
        DigestItem.objects.bulk_create(
            DigestItem(digest=digest, article=p.article, group=p.group, section_id=p.section_id, position=i)
            for i, p in enumerate(picks, start=1)
        )
    log.info(
        "digest compiled",
        extra={"digest": digest.pk, "newsletter": newsletter.slug, "items": len(picks), "candidates": len(candidates)},
    )
    return digest


# --------------------------------------------------------------------------- editing
def digest_items_arrange(*, digest: Digest) -> None:
    """After editors changed items: number them 1..N in their chosen order (an item
    added without a position goes last) and give section items their section."""
    items = list(digest.items.all())
    articles = articles_by_ids(ids=[i.article_id for i in items])
    items.sort(key=lambda i: (i.position == 0, i.position, i.pk))
    for position, item in enumerate(items, start=1):
        item.position = position
        if item.group == DigestItem.Group.SECTION:
            item.section_id = item.section_id or articles[item.article_id].section_id
        else:
            item.section_id = None
    DigestItem.objects.bulk_update(items, ["position", "section"])


def _locked(digest: Digest) -> Digest:
    return Digest.objects.select_for_update().select_related("newsletter").get(pk=digest.pk)


def digest_approve(*, digest: Digest, user=None, send: bool = False) -> Digest:
    """Render the digest once, store its HTML and text (with placeholders), approve it.
    With ``send`` (an auto-send newsletter's weekly slot) sending starts once committed;
    an editor's approval waits for the separate, permission-guarded Send.

    Not idempotent on purpose: approving twice is an editor's mistake worth a message.
    """
    from subscriptions.rendering import digest_render

    with transaction.atomic():
        digest = _locked(digest)
        if digest.status != Digest.Status.DRAFT:
            raise DigestStateError(_("Only a draft can be approved; this digest is %(status)s.")
                                   % {"status": digest.get_status_display()})
        if not digest.items.exists():
            raise DigestStateError(_("A digest with no items cannot be approved."))
        rendered = digest_render(digest=digest)
        now = timezone.now()
        digest.html, digest.text = rendered.html, rendered.text
        digest.rendered_at = digest.approved_at = now
        digest.approved_by = user
        digest.status = Digest.Status.APPROVED
        digest.save(update_fields=["html", "text", "rendered_at", "approved_at", "approved_by", "status"])
        transaction.on_commit(partial(digest_approved, digest, send=send))
    log.info("digest approved", extra={"digest": digest.pk, "by": getattr(user, "pk", None)})
    return digest


def digest_approved(digest: Digest, *, send: bool = False) -> None:
    """Runs once a digest's approval has committed — an editor's Approve, or the weekly
    slot of an auto-send newsletter, which starts sending (subscriptions/sending.py)."""
    log.info("digest ready to send", extra={"digest": digest.pk, "newsletter": digest.newsletter_id, "send": send})
    if send:
        from subscriptions.tasks import send_digest

        send_digest.delay(digest.pk)


def digest_reopen(*, digest: Digest) -> Digest:
    """Back to draft from approved (sending has not started): the stored body goes."""
    with transaction.atomic():
        digest = _locked(digest)
        if digest.status != Digest.Status.APPROVED:
            raise DigestStateError(_("Only an approved digest that has not started sending can go back to draft."))
        digest.status = Digest.Status.DRAFT
        digest.html = digest.text = ""
        digest.rendered_at = digest.approved_at = None
        digest.approved_by = None
        digest.save(update_fields=["status", "html", "text", "rendered_at", "approved_at", "approved_by"])
    return digest


def digest_cancel(*, digest: Digest) -> Digest:
    with transaction.atomic():
        digest = _locked(digest)
        if digest.status not in (Digest.Status.DRAFT, Digest.Status.APPROVED):
            raise DigestStateError(_("A digest that started sending cannot be cancelled here."))
        digest.status = Digest.Status.CANCELLED
        digest.save(update_fields=["status"])
    return digest


# --------------------------------------------------------------------------- schedule
def weekly_slot_latest(*, newsletter: Newsletter, now: datetime) -> datetime:
    """The newsletter's most recent weekly slot at or before ``now`` (TIME_ZONE)."""
    zone = local_zone()
    local_now = now.astimezone(zone)
    day = local_now.date() - timedelta(days=(local_now.weekday() - newsletter.send_weekday) % 7)
    slot = datetime.combine(day, newsletter.send_time, tzinfo=zone)
    if slot > local_now:
        slot -= PERIOD
    return slot


@dataclass(frozen=True)
class SlotOutcome:
    newsletter: str
    slot: datetime
    action: str  # "approved" | "draft" | "empty"
    digest_id: int | None = None


def digests_compile_due(*, now: datetime | None = None) -> list[SlotOutcome]:
    """Compile the digest of every active newsletter whose weekly slot has passed and
    has no digest for the period ending at that slot; then approve it (auto-send) or
    tell the staff a draft waits. Runs every few minutes from beat: a second run finds
    the digest and does nothing, so a double tick never notifies or approves twice.
    """
    from subscriptions.tasks import digest_notify_staff

    now = now or timezone.now()
    outcomes = []
    for newsletter in Newsletter.objects.filter(is_active=True).order_by("pk"):
        slot = weekly_slot_latest(newsletter=newsletter, now=now)
        if now - slot > SLOT_GRACE or slot < newsletter.created_at:
            continue
        if Digest.objects.filter(newsletter=newsletter, period_end=slot).exists():
            continue
        with transaction.atomic():
            # The compile below locks the newsletter; re-check inside that lock so two
            # ticks racing each other cannot both believe they made the digest.
            Newsletter.objects.select_for_update().filter(pk=newsletter.pk).values_list("pk").get()
            if Digest.objects.filter(newsletter=newsletter, period_end=slot).exists():
                continue
            # An empty week is looked at again each hour of the grace period (a late
            # import may still fill it), not on every tick: one log line an hour.
            if not cache.add(f"nashra:digest-empty:{newsletter.pk}:{slot.isoformat()}", 1, EMPTY_RECHECK):
                continue
            digest = digest_compile(newsletter=newsletter, period_end=slot)
            if digest is None:
                outcomes.append(SlotOutcome(newsletter.slug, slot, "empty"))
                continue
            if newsletter.auto_send:
                digest_approve(digest=digest, send=True)
                outcomes.append(SlotOutcome(newsletter.slug, slot, "approved", digest.pk))
            else:
                digest_notify_staff.delay_on_commit(digest.pk)
                outcomes.append(SlotOutcome(newsletter.slug, slot, "draft", digest.pk))
    return outcomes
