"""Who gets which newsletter, and on what consent.

State is said out loud: one ``status`` per row (TextChoices, stored as lower-case
words that reports query by name). Writes live in services, not in ``save()``.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from subscriptions.normalize import normalize_email


class Newsletter(models.Model):
    class MonthNames(models.TextChoices):
        STANDARD = "standard", _("Standard (يناير، فبراير…)")
        LEVANTINE = "levantine", _("Levantine (كانون الثاني، شباط…)")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    from_name = models.CharField(_("from name"), max_length=100)
    from_email = models.EmailField(_("from address"))
    reply_to = models.EmailField(_("reply-to"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Shown in every footer: who sends this and where they are (anti-spam laws ask it).
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    postal_address = models.CharField(_("postal address"), max_length=300, blank=True)
    # The weekly slot, in the site's TIME_ZONE. Default Thursday 09:00.
    send_weekday = models.PositiveSmallIntegerField(
        _("send weekday"), choices=Weekday, default=Weekday.THURSDAY
    )
    send_time = models.TimeField(_("send time"), default=datetime.time(9, 0))
    auto_send = models.BooleanField(
        _("send without approval"),
        default=False,
        help_text=_("Send the compiled digest on its weekly slot without waiting for an editor."),
    )
    # Digest selection limits.
    top_limit = models.PositiveSmallIntegerField(_("top stories"), default=5)
    per_section_limit = models.PositiveSmallIntegerField(_("items per section"), default=3)
    light_limit = models.PositiveSmallIntegerField(_("light items"), default=3)
    # Capped at 50 so a full digest stays well under Gmail's ~102 KB clipping point.
    total_limit = models.PositiveSmallIntegerField(
        _("items in total"), default=25, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    # The digest's default subject. Plain replacement, not str.format: an editor's
    # template must not be able to reach Python attributes.
    subject_template = models.CharField(
        _("subject template"),
        max_length=200,
        default="{name} · {dates}",
        help_text=_("{name} is the newsletter's name, {dates} the week's date range."),
    )
    month_names = models.CharField(
        _("Arabic month names"), max_length=10, choices=MonthNames, default=MonthNames.STANDARD
    )
    # Appended to every article link in the digest; an empty source turns tagging off.
    utm_source = models.CharField(_("utm_source"), max_length=100, blank=True, default="nashra")
    utm_medium = models.CharField(_("utm_medium"), max_length=100, blank=True, default="email")
    utm_campaign = models.CharField(
        _("utm_campaign"), max_length=100, blank=True, default="",
        help_text=_("Empty: the digest's own slug, so each issue is its own campaign."),
    )
    welcome_text = models.TextField(
        _("welcome message"),
        blank=True,
        help_text=_("Sent once a reader confirms. Leave empty to send no welcome email."),
    )
    # Spread a send over this many minutes, so the news site does not get every reader's
    # click at once. 0: as fast as the ESP's rate allows.
    send_window_minutes = models.PositiveIntegerField(_("delivery window (minutes)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the complaint guard (subscriptions/complaints.py) when readers mark too many
    # copies as spam; no new send starts while it is set. An editor clears it.
    sending_paused_reason = models.CharField(
        _("sending paused because"), max_length=300, blank=True,
        help_text=_("Empty: sending is allowed. Set when the complaint rate passed the limit."),
    )
    # An editor's resume holds for the digests already sending and the rest of that
    # day: the guard looks afresh at the next digest and the next day.
    sending_resumed_at = models.DateTimeField(_("sending resumed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")

    def __str__(self):
        return self.name


class SubscriberQuerySet(models.QuerySet):
    def with_email(self, address: str):
        """Match an address the way the unique index does (normalised, case-blind)."""
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=normalize_email(address).lower()
        )


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")

    class Source(models.TextChoices):
        FORM = "form", _("Signup form")
        EMBED = "embed", _("Embedded widget")
        IMPORT = "import", _("Import")
        ADMIN = "admin", _("Admin")
        DEMO = "demo", _("Demo data")

    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.PENDING, db_index=True
    )
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.FORM)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # The verification-email cooldown, updated atomically by one conditional UPDATE
    # (services.verification_claim): at most one email per 15 minutes and a few a day.
    verification_sent_at = models.DateTimeField(_("verification sent at"), null=True, blank=True)
    verification_day = models.DateField(null=True, blank=True, editable=False)
    verification_count = models.PositiveSmallIntegerField(db_default=0, editable=False)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_unique_email_ci"),
        ]
        # The admin list filters by these and shows newest first: (column, -id) lets a
        # rare value ("imported", "en") be found without walking a million rows.
        # Created concurrently (migration 0008), with the trigram indexes for search.
        indexes = [
            models.Index(fields=["source", "-id"], name="subscriber_source"),
            models.Index(fields=["language", "-id"], name="subscriber_language"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        if self.email:
            try:
                self.email = normalize_email(self.email)
            except ValueError as exc:
                raise ValidationError({"email": str(exc)}) from exc

    def save(self, *args, **kwargs):
        # Normalising here (not only in forms) keeps every write path — admin, import,
        # shell — on the same spelling the unique index sees.
        if self.email:
            self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


class Subscription(models.Model):
    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, verbose_name=_("newsletter"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.SUBSCRIBED
    )
    subscribed_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "newsletter"], name="subscription_unique"),
        ]
        indexes = [
            # The fan-out walks a newsletter's subscribed readers in subscriber-id order
            # (keyset pagination); this partial index is exactly that walk.
            models.Index(
                fields=["newsletter", "subscriber"],
                condition=Q(status="subscribed"),
                name="subscription_fanout",
            ),
        ]

    def __str__(self):
        return f"{self.subscriber} → {self.newsletter}"


class ConsentEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the consent log is append-only")

    def delete(self):
        raise PermissionError("the consent log is append-only")


class ConsentEvent(models.Model):
    """Append-only record of what a reader agreed to, when, where and to which words.

    Rows are never updated or deleted: the model refuses it, and on PostgreSQL a
    trigger refuses it too (migration 0002), except inside an erasure that sets
    ``nashra.erasure`` for its transaction.
    """

    class Event(models.TextChoices):
        SIGNUP = "signup", _("Signed up")
        CONFIRM = "confirm", _("Confirmed")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        RESUBSCRIBE = "resubscribe", _("Resubscribed")
        IMPORT = "import", _("Imported with attested consent")
        BOUNCE = "bounce", _("Bounced")
        COMPLAINT = "complaint", _("Complained")

    # PROTECT: a subscriber with a consent history is erased by the erasure service,
    # which removes the log on purpose, never by an accidental cascade.
    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("subscriber"), on_delete=models.PROTECT, related_name="consent_events"
    )
    newsletter = models.ForeignKey(
        Newsletter, verbose_name=_("newsletter"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event = models.CharField(_("event"), max_length=12, choices=Event)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    form = models.CharField(_("form"), max_length=100, blank=True, help_text=_("Which form or tool recorded it."))
    # SHA-256 of the exact wording the reader saw, so a later change of wording
    # cannot be passed off as what they agreed to.
    wording_hash = models.CharField(_("wording hash"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent log")

    def __str__(self):
        return f"{self.get_event_display()} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("the consent log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the consent log is append-only")


class Suppression(models.Model):
    """Addresses that must not come back: a keyed hash, never the address itself.

    An erased reader leaves only this row, so neither the signup form nor an import
    can silently re-add them, while nobody can read the address back out of it.
    """

    class Reason(models.TextChoices):
        ERASED = "erased", _("Erased on request")
        MANUAL = "manual", _("Blocked by an editor")

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason, default=Reason.ERASED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")

    def __str__(self):
        return f"{self.get_reason_display()} · {self.email_hash[:12]}…"

    @staticmethod
    def hash_email(address: str) -> str:
        """HMAC of the normalised, lower-cased address, keyed by SECRET_KEY (so a leaked
        table cannot be reversed with a dictionary of common addresses)."""
        from django.utils.crypto import salted_hmac

        normal = normalize_email(address).lower()
        return salted_hmac("nashra.suppression", normal, algorithm="sha256").hexdigest()

    @classmethod
    def is_suppressed(cls, address: str) -> bool:
        return cls.objects.filter(email_hash=cls.hash_email(address)).exists()


class Digest(models.Model):
    """One issue of a newsletter: the articles of a 7-day period, curated, rendered once.

    A digest is written in its newsletter's language (the articles and the intro are),
    so it stores one rendered pair, ``html`` and ``text``, with placeholders for each
    reader's fields (see ``subscriptions.personalize``). A bilingual site runs one
    newsletter per language.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        # The sending pipeline moves a digest through these.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")

    # A digest that may already be in a reader's inbox: its articles are not repeated
    # and its web version is public.
    GONE_OUT = (Status.SENDING, Status.PAUSED, Status.SENT)

    # PROTECT: deleting a newsletter must not silently delete its archive.
    newsletter = models.ForeignKey(
        Newsletter, verbose_name=_("newsletter"), on_delete=models.PROTECT, related_name="digests"
    )
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    subject = models.CharField(_("subject"), max_length=200)
    intro = models.TextField(_("intro"), blank=True, help_text=_("Optional: a few words from the editors."))
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    # Rendered once, on approval, with [[nashra:…]] placeholders for each reader.
    html = models.TextField(_("HTML body"), blank=True, editable=False)
    text = models.TextField(_("text body"), blank=True, editable=False)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Sending (subscriptions/sending.py). The audience is frozen when sending starts:
    # confirmed, subscribed readers up to ``audience_max_id``; later signups wait for
    # next week. ``ledger_complete`` turns true once every Delivery row exists.
    send_started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    audience_max_id = models.BigIntegerField(null=True, blank=True, editable=False)
    ledger_complete = models.BooleanField(default=False, editable=False)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    # Consecutive ESP failures across batches; past SEND_AUTO_PAUSE_AFTER the digest pauses.
    esp_error_streak = models.PositiveSmallIntegerField(default=0, editable=False)
    pause_reason = models.CharField(_("paused because"), max_length=300, blank=True)
    # Ledger counts recorded when the last batch resolves: recipients = sent + failed +
    # skipped + uncertain.
    totals = models.JSONField(_("totals"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        # Editing a digest and sending it to the whole list are different trusts.
        permissions = [("send_digest", _("Can send digests"))]
        constraints = [
            # Compiling the same period twice finds this row instead of making another.
            models.UniqueConstraint(fields=["newsletter", "period_end"], name="digest_unique_period"),
        ]
        indexes = [models.Index(fields=["status", "-sent_at"], name="digest_status_sent")]

    def __str__(self):
        return self.subject

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class DigestItem(models.Model):
    class Group(models.TextChoices):
        TOP = "top", _("Top stories")
        SECTION = "section", _("Section highlights")
        LIGHT = "light", _("Something lighter")

    digest = models.ForeignKey(Digest, verbose_name=_("digest"), on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(
        "newsroom.Article", verbose_name=_("article"), on_delete=models.CASCADE, related_name="+"
    )
    group = models.CharField(_("group"), max_length=10, choices=Group, default=Group.SECTION)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The heading a section highlight is shown under; empty for top and light items.
    section = models.ForeignKey(
        "newsroom.Section", verbose_name=_("section"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("digest item")
        verbose_name_plural = _("digest items")
        constraints = [
            models.UniqueConstraint(fields=["digest", "article"], name="digestitem_unique_article"),
        ]

    def __str__(self):
        return f"{self.position}. {self.get_group_display()}"


class SendBatch(models.Model):
    """A slice of a digest's ledger sent by one task with (at most) one ESP call.

    pending → submitting → done, or → uncertain when a submitting batch is found after a
    crash or a read timeout: the ESP may or may not have taken it, so it is never resent
    on its own (an editor's "resend uncertain", or ESP events, settle it).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUBMITTING = "submitting", _("Submitting")
        DONE = "done", _("Done")
        UNCERTAIN = "uncertain", _("Uncertain")

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    size = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("send batch")
        verbose_name_plural = _("send batches")
        constraints = [models.UniqueConstraint(fields=["digest", "number"], name="sendbatch_unique_number")]
        indexes = [
            # The sweeper looks only at unfinished batches.
            models.Index(
                fields=["status", "queued_at"], name="sendbatch_unfinished",
                condition=Q(status__in=["pending", "submitting"]),
            ),
        ]

    def __str__(self):
        return f"{self.digest_id}#{self.number} {self.status}"


class Delivery(models.Model):
    """The ledger: one row per (digest, subscriber), created before anything is queued."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUBMITTING = "submitting", _("Submitting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        UNCERTAIN = "uncertain", _("Uncertain")

    RESOLVED = (Status.SENT, Status.FAILED, Status.SKIPPED, Status.UNCERTAIN)

    digest = models.ForeignKey(Digest, verbose_name=_("digest"), on_delete=models.CASCADE, related_name="deliveries")
    # SET_NULL: erasing a reader keeps the row (the digest's totals still add up) but
    # nothing that points at them.
    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("subscriber"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="deliveries",
    )
    batch = models.PositiveIntegerField(_("batch"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    esp_message_id = models.CharField(_("ESP message id"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Filled from the ESP's events (subscriptions/receivers.py).
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    complained_at = models.DateTimeField(_("complained at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["digest", "subscriber"], name="delivery_unique_recipient"),
        ]
        indexes = [
            models.Index(fields=["digest", "batch"], name="delivery_batch"),
            models.Index(fields=["digest", "status"], name="delivery_status"),
            # ESP events without our metadata find their copy by the ESP's message id
            # (one id may cover a whole batch; the recipient tells them apart).
            models.Index(fields=["esp_message_id"], name="delivery_esp_message"),
            # The complaint guard's counts (complained / delivered per digest and day)
            # read these small partial indexes, never the whole ledger.
            models.Index(
                fields=["digest", "delivered_at"], condition=Q(delivered_at__isnull=False), name="delivery_delivered",
            ),
            models.Index(
                fields=["digest", "complained_at"], condition=Q(complained_at__isnull=False),
                name="delivery_complained",
            ),
        ]

    def __str__(self):
        return f"{self.digest_id} → {self.subscriber_id}: {self.status}"

    @classmethod
    def export_for_subscriber(cls, subscriber) -> list[dict]:
        """For "download my data"."""
        return [
            {"digest": subject, "status": status, "sent_at": sent_at, "opened_at": opened_at, "clicked_at": clicked_at}
            for subject, status, sent_at, opened_at, clicked_at in cls.objects.filter(subscriber=subscriber)
            .order_by("id")
            .values_list("digest__subject", "status", "sent_at", "opened_at", "clicked_at")
        ]


class EspEvent(models.Model):
    """One event an ESP reported through its tracking webhook (subscriptions/receivers.py).

    Unique on (esp, event_id), so a replayed webhook finds its row and changes nothing.
    Only what the effects and the reports need is kept, not the payload: the recipient
    as a keyed hash (like the suppression list), so an erased reader leaves nothing
    readable here.
    """

    esp = models.CharField(_("ESP"), max_length=20)
    # The ESP's own id; for events without one, a hash of the payload (esp_events.py).
    event_id = models.CharField(_("event id"), max_length=100)
    # Anymail's normalised type: delivered, opened, clicked, bounced, complained…
    event_type = models.CharField(_("event"), max_length=16)
    reject_reason = models.CharField(_("reject reason"), max_length=16, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="esp_events",
    )
    recipient_hash = models.CharField(max_length=64, blank=True, db_index=True)
    message_id = models.CharField(_("ESP message id"), max_length=255, blank=True)
    # An open or click made by a machine (a privacy proxy prefetching images, a link
    # scanner): kept, but it never sets Delivery.opened_at / clicked_at.
    is_bot = models.BooleanField(_("by a machine"), default=False)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("ESP event")
        verbose_name_plural = _("ESP events")
        constraints = [models.UniqueConstraint(fields=["esp", "event_id"], name="espevent_unique_id")]

    def __str__(self):
        return f"{self.esp} {self.event_type} {self.event_id}"

    @classmethod
    def export_for_subscriber(cls, subscriber) -> list[dict]:
        """For "download my data": what the ESP told us about this reader's copies."""
        rows = cls.objects.filter(
            Q(delivery__subscriber=subscriber) | Q(recipient_hash=Suppression.hash_email(subscriber.email))
        ).order_by("received_at", "id")
        return [
            {"event": e.event_type, "occurred_at": e.occurred_at, "by_a_machine": e.is_bot, "esp": e.esp}
            for e in rows
        ]
class DailyStat(models.Model):
    """How the list moved on one local day (TIME_ZONE), counted from the consent log.

    Kept so the dashboard reads 90 small rows instead of counting events or a million
    subscribers on every load. A beat task (``subscriptions.stats``) recounts the
    recent days every few minutes; older days are settled and stay as counted, even
    after the purge of unconfirmed signups or an erasure removes their events.
    Each number is distinct readers that day: a reader who confirms two newsletters
    is one confirmation.
    """

    day = models.DateField(_("day"), unique=True)
    signups = models.PositiveIntegerField(_("signups"), default=0)
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0)
    imports = models.PositiveIntegerField(_("imported with consent"), default=0)
    resubscribes = models.PositiveIntegerField(_("resubscribes"), default=0)
    unsubscribes = models.PositiveIntegerField(_("unsubscribes"), default=0)
    bounces = models.PositiveIntegerField(_("bounces"), default=0)
    complaints = models.PositiveIntegerField(_("complaints"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("daily statistic")
        verbose_name_plural = _("daily statistics")

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"

    @property
    def net(self) -> int:
        """Readers gained (confirmed, imported with consent, back) minus readers lost."""
        return (self.confirmations + self.imports + self.resubscribes
                - self.unsubscribes - self.bounces - self.complaints)


class DigestStat(models.Model):
    """What happened to one digest after it left, counted from its delivery ledger.

    A million deliveries are too many to count per page load, so the beat task
    (``subscriptions.stats``) recounts digests that are still collecting events and
    the dashboard reads these rows. ``opened`` and ``clicked`` are human ones: see
    ``subscriptions.stats.MACHINE_WINDOW``.
    """

    digest = models.OneToOneField(
        Digest, verbose_name=_("digest"), on_delete=models.CASCADE, primary_key=True, related_name="stat"
    )
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    opened = models.PositiveIntegerField(_("opened"), default=0)
    clicked = models.PositiveIntegerField(_("clicked"), default=0)
    bounced = models.PositiveIntegerField(_("bounced"), default=0)
    complained = models.PositiveIntegerField(_("complained"), default=0)
    unsubscribed = models.PositiveIntegerField(_("unsubscribed"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("digest statistic")
        verbose_name_plural = _("digest statistics")

    def __str__(self):
        return f"{self.digest_id}: {self.sent} sent"

    @property
    def reached(self) -> int:
        """The base for engagement rates: delivered, or — with an ESP that reports no
        deliveries — sent minus bounced."""
        return self.delivered or max(self.sent - self.bounced, 0)
