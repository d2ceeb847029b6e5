"""Subscribers in from a CSV file: check everything first, then write it all at once.

Columns: ``email`` (required), ``name``, ``language``, ``newsletters`` (slugs separated
by ``|`` or ``;``; empty means the default newsletter chosen for the import). Other
columns are ignored and named in the report, so an ``export_subscribers`` file can be
imported back.

Two ways in:
- ``verify`` (default): new readers are created pending and get the ordinary
  verification email (cooldowns and daily caps apply); only a click subscribes them.
- ``consented``: the editor attests that these people consented elsewhere; they are
  confirmed and subscribed at once, and the consent log records an ``import`` event
  per newsletter naming the editor, with the attestation's text (its SHA-256 as the
  wording hash).

A file that cannot be read as a whole (too large, not UTF-8, no ``email`` column) is
refused with a message and changes nothing. Otherwise each row is taken or rejected
with its line number and the reason: not an address, a cell that would run as a
spreadsheet formula, an unknown language or newsletter, an erased address (the
suppression list), an address that bounced, complained or unsubscribed (only the
reader can come back). Duplicates are merged: within the file (newsletters combined,
the first name and language kept) and with existing subscribers, who keep their own
name and language. Nothing is written until every row has been checked; then one
transaction writes the lot with bulk inserts, so 100,000 rows take seconds.
"""

import csv
import io
import itertools
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from subscriptions import tasks
from subscriptions.exporting import FORMULA_STARTS
from subscriptions.forms import BIDI_CONTROLS, LINKISH, NAME_MAX
from subscriptions.models import ConsentEvent, Newsletter, Subscriber, Subscription, Suppression
from subscriptions.normalize import normalize_email
from subscriptions.consent import wording_hash

# 20 MB is ~300,000 rows of address, name, language and newsletter: more than any one
# upload should carry (split bigger lists); it also bounds the memory an import takes.
MAX_BYTES = 20 * 1024 * 1024
COLUMNS = ("email", "name", "language", "newsletters")
NEWSLETTER_SEPARATORS = ("|", ";")
# Database round trips are batched: lookups by this many addresses, inserts this many rows.
BATCH = 5000
# Readers per verification fan-out task (see tasks.send_import_verifications).
VERIFY_CHUNK = 500
# Rejected rows listed in a report; the count is always complete.
REPORT_LIMIT = 1000
ATTESTATION_MAX = 1000


class ImportMode(models.TextChoices):
    VERIFY = "verify", gettext_lazy("Send a verification email (they subscribe by clicking it)")
    CONSENTED = "consented", gettext_lazy("Already consented elsewhere (subscribe them now)")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass(frozen=True)
class Rejection:
    line: int
    email: str
    reason: str


@dataclass
class Row:
    line: int
    email: str
    name: str
    language: str
    newsletter_ids: set[int]


@dataclass
class ImportReport:
    mode: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    verifications: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def reject(self, line: int, email: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < REPORT_LIMIT:
            self.rejected.append(Rejection(line, email, reason))

    @property
    def accepted(self) -> int:
        return self.created + self.updated


def subscribers_import(
    *, data: bytes, mode: str = ImportMode.VERIFY, default_newsletter: Newsletter | None = None,
    editor: str = "", attestation: str = "", dry_run: bool = False,
) -> ImportReport:
    """Check the whole file, then (unless ``dry_run``) write it in one transaction.

    Raises ImportFileError for a file that cannot be imported at all; then, as after a
    dry run, nothing has changed.
    """
    if mode not in ImportMode.values:
        raise ImportFileError(_("Unknown import mode."))
    attestation = attestation.strip()
    if mode == ImportMode.CONSENTED and not editor:
        raise ImportFileError(_("An import with consent given elsewhere must name the editor who attests it."))
    if mode == ImportMode.CONSENTED and not attestation:
        raise ImportFileError(_("Say where and how these people consented: the attestation is kept in the consent log."))
    if len(attestation) > ATTESTATION_MAX:
        raise ImportFileError(_("The attestation is too long (at most 1,000 characters)."))
    report = ImportReport(mode=mode, dry_run=dry_run)
    rows = _read(data, report=report, default_newsletter=default_newsletter)
    plan = _plan(rows, report=report, mode=mode)
    if not dry_run and plan.has_work:
        try:
            with transaction.atomic():
                _write(plan, mode=mode, editor=editor, attestation=attestation, report=report)
        except IntegrityError as exc:
            # Someone signed up with one of these addresses between the check and the write.
            raise ImportFileError(_("The subscriber list changed while importing; nothing was imported. "
                                    "Run the import again.")) from exc
    return report


# -- reading: the file as a whole, then each row --------------------------------------
def _read(data: bytes, *, report: ImportReport, default_newsletter: Newsletter | None) -> list[Row]:
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 20 MB. Split it into smaller files."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is not UTF-8 text (line %(line)s). Save it as “CSV UTF-8” and try again.")
            % {"line": data[: exc.start].count(b"\n") + 1}
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV text file."))
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
    try:
        header = [cell.strip().lstrip("\ufeff").lower() for cell in next(reader)]
    except csv.Error as exc:
        raise ImportFileError(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from None
    if "email" not in header:
        raise ImportFileError(
            _("The first line must name the columns, with at least “email” (and optionally name, language, "
              "newsletters). Found: %(found)s.") % {"found": ", ".join(header[:10]) or "—"}
        )
    if len(set(header)) != len(header):
        raise ImportFileError(_("A column is named twice in the first line."))
    report.ignored_columns = [c for c in header if c not in COLUMNS and c]
    where = {name: header.index(name) for name in COLUMNS if name in header}
    slugs = dict(Newsletter.objects.values_list("slug", "pk"))
    languages = {code.lower(): code for code, _name in settings.LANGUAGES}
    kept: dict[str, Row] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            report.rows += 1
            values = {name: (cells[i] if i < len(cells) else "") for name, i in where.items()}
            row = _row(line, values, report=report, slugs=slugs, languages=languages,
                       default_newsletter=default_newsletter)
            if row is None:
                continue
            key = row.email.lower()
            first = kept.get(key)
            if first is None:
                kept[key] = row
            else:
                first.newsletter_ids |= row.newsletter_ids
                first.name = first.name or row.name
                report.merged += 1
    except csv.Error as exc:
        raise ImportFileError(_("The file cannot be read as CSV near line %(line)s: %(error)s")
                              % {"line": reader.line_num, "error": exc}) from None
    return list(kept.values())


def _dialect(text: str):
    """Commas, or semicolons as spreadsheets in many locales save them: decided by
    the header line, which must contain "email" and a separator if it has columns."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return _Semicolon if first.count(";") > first.count(",") else csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def _row(line, values, *, report, slugs, languages, default_newsletter) -> Row | None:
    raw_email = values.get("email", "")
    shown = raw_email.strip()[:254]
    for column, value in values.items():
        if value.startswith(FORMULA_STARTS) or value.strip().startswith(FORMULA_STARTS[:4]):
            report.reject(line, shown, _("The “%(column)s” cell starts with “%(char)s”, as a spreadsheet formula "
                                         "does; it was not imported.")
                          % {"column": column, "char": value.strip()[:1] or "↹"})
            return None
    try:
        email = normalize_email(raw_email)
        validate_email(email)
    except (ValueError, ValidationError):
        report.reject(line, shown, _("Not an email address."))
        return None
    if len(email) > 254:
        report.reject(line, shown, _("The address is longer than 254 characters."))
        return None
    name = values.get("name", "").strip()
    problem = _name_problem(name)
    if problem:
        report.reject(line, email, problem)
        return None
    language = values.get("language", "").strip().lower() or settings.LANGUAGE_CODE
    if language not in languages:
        report.reject(line, email, _("Unknown language “%(value)s” (use %(choices)s).")
                      % {"value": language[:20], "choices": ", ".join(languages)})
        return None
    newsletter_ids = set()
    wanted = values.get("newsletters", "")
    for separator in NEWSLETTER_SEPARATORS[1:]:
        wanted = wanted.replace(separator, NEWSLETTER_SEPARATORS[0])
    for slug in filter(None, (s.strip() for s in wanted.split(NEWSLETTER_SEPARATORS[0]))):
        if slug not in slugs:
            report.reject(line, email, _("Unknown newsletter “%(slug)s”.") % {"slug": slug[:100]})
            return None
        newsletter_ids.add(slugs[slug])
    if not newsletter_ids:
        if default_newsletter is None:
            report.reject(line, email, _("No newsletter: fill the newsletters column or choose a default newsletter."))
            return None
        newsletter_ids.add(default_newsletter.pk)
    return Row(line=line, email=email, name=name, language=languages[language], newsletter_ids=newsletter_ids)


def _name_problem(name: str) -> str | None:
    """The signup form's rules for names (subscriptions.forms), as a reason or None."""
    if len(name) > NAME_MAX:
        return _("The name is longer than %(max)s characters.") % {"max": NAME_MAX}
    if any(c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        return _("The name contains a control character or line break.")
    if LINKISH.search(name):
        return _("A name cannot contain links or email addresses.")
    return None


# -- planning: against what the database already holds -------------------------------
@dataclass
class Update:
    """An existing reader the import changes."""

    pk: int
    status: str
    newsletter_ids: set[int]  # to subscribe them to (or verify them for)
    revive: set[int] = field(default_factory=set)  # of those, subscription rows left before


@dataclass
class Plan:
    new: list[Row] = field(default_factory=list)
    existing: list[Update] = field(default_factory=list)

    @property
    def has_work(self) -> bool:
        return bool(self.new or self.existing)


# Statuses an import must not undo: the reader left, or their mailbox said no.
REFUSED = {
    Subscriber.Status.UNSUBSCRIBED: gettext_lazy("Unsubscribed earlier: only the reader can subscribe again."),
    Subscriber.Status.BOUNCED: gettext_lazy("Bounced earlier: the address does not take mail."),
    Subscriber.Status.COMPLAINED: gettext_lazy("Marked a digest as spam earlier: not re-added."),
}


def _plan(rows: list[Row], *, report: ImportReport, mode: str) -> Plan:
    plan = Plan()
    suppressed = _suppressed({row.email for row in rows})
    found = _existing([row.email.lower() for row in rows])
    subscriptions = _subscriptions([pk for pk, _status in found.values()])
    for row in rows:
        if row.email.lower() in suppressed:
            report.reject(row.line, row.email, _("Erased on request: this address cannot be added again."))
            continue
        match = found.get(row.email.lower())
        if match is None:
            plan.new.append(row)
            continue
        pk, status = match
        if status in REFUSED:
            report.reject(row.line, row.email, str(REFUSED[status]))
            continue
        held = subscriptions.get(pk, {})
        subscribed = {nid for nid, state in held.items() if state == Subscription.Status.SUBSCRIBED}
        left = {nid for nid, state in held.items() if state == Subscription.Status.UNSUBSCRIBED} & row.newsletter_ids
        if status == Subscriber.Status.PENDING:
            # Pending: they asked again since they left (their own signup), so a
            # newsletter they left once is asked for again too.
            to_add = row.newsletter_ids - subscribed
        else:
            to_add = row.newsletter_ids - subscribed - left
        if to_add:
            plan.existing.append(Update(pk=pk, status=status, newsletter_ids=to_add, revive=to_add & left))
        elif left:
            report.reject(row.line, row.email, _("Unsubscribed from this newsletter earlier: only the reader can "
                                                 "subscribe again."))
        else:
            report.unchanged += 1  # already subscribed to everything in the row
    report.created = len(plan.new)
    report.updated = len(plan.existing)
    return plan


def _suppressed(emails: set[str]) -> set[str]:
    hashes = {Suppression.hash_email(email): email.lower() for email in emails}
    keys = list(hashes)
    found = set()
    for start in range(0, len(keys), BATCH):
        found.update(Suppression.objects.filter(email_hash__in=keys[start:start + BATCH])
                     .values_list("email_hash", flat=True))
    return {hashes[h] for h in found}


def _existing(lowered: list[str]) -> dict[str, tuple[int, str]]:
    """lower-cased address → (id, status), through the case-blind unique index."""
    found = {}
    for start in range(0, len(lowered), BATCH):
        found.update(
            (lower, (pk, status))
            for lower, pk, status in Subscriber.objects.annotate(lower=Lower("email"))
            .filter(lower__in=lowered[start:start + BATCH])
            .values_list("lower", "pk", "status")
        )
    return found


def _subscriptions(ids: list[int]) -> dict[int, dict[int, str]]:
    held = defaultdict(dict)
    for start in range(0, len(ids), BATCH):
        for subscriber_id, newsletter_id, status in Subscription.objects.filter(
            subscriber_id__in=ids[start:start + BATCH]
        ).values_list("subscriber_id", "newsletter_id", "status"):
            held[subscriber_id][newsletter_id] = status
    return held


# -- writing: one transaction, bulk statements ----------------------------------------
def _write(plan: Plan, *, mode: str, editor: str, attestation: str, report: ImportReport) -> None:
    now = timezone.now()
    consented = mode == ImportMode.CONSENTED
    status = Subscriber.Status.CONFIRMED if consented else Subscriber.Status.PENDING
    ids = _insert_subscribers(
        [dict(email=row.email, name=row.name, language=row.language, status=status, source=Subscriber.Source.IMPORT,
              created_at=now, updated_at=now, confirmed_at=now if consented else None) for row in plan.new]
    )
    # (subscriber id, newsletter ids) for every reader this import touches.
    targets = [(pk, row.newsletter_ids) for pk, row in zip(ids, plan.new)]
    targets += [(update.pk, update.newsletter_ids) for update in plan.existing]

    if consented:
        pending = [u.pk for u in plan.existing if u.status == Subscriber.Status.PENDING]
        for start in range(0, len(pending), BATCH):
            Subscriber.objects.filter(pk__in=pending[start:start + BATCH], status=Subscriber.Status.PENDING).update(
                status=Subscriber.Status.CONFIRMED, confirmed_at=now, unsubscribed_at=None, updated_at=now
            )
        # A pending reader may hold a subscription they left before asking again:
        # that row turns back to subscribed; every other pair is new.
        for update in plan.existing:
            if update.revive:
                Subscription.objects.filter(subscriber_id=update.pk, newsletter_id__in=update.revive).update(
                    status=Subscription.Status.SUBSCRIBED, unsubscribed_at=None)
        revived = {(u.pk, nid) for u in plan.existing for nid in u.revive}
        _insert(Subscription, ["subscriber_id", "newsletter_id", "status", "subscribed_at"],
                ((pk, nid, Subscription.Status.SUBSCRIBED, now) for pk, newsletter_ids in targets
                 for nid in sorted(newsletter_ids) if (pk, nid) not in revived))
        event, detail = ConsentEvent.Event.IMPORT, f"{editor}: {attestation}"
        wording = wording_hash(attestation)
    else:
        # Log records stay in one language (like the form names), not the editor's.
        event, detail, wording = ConsentEvent.Event.SIGNUP, f"imported by {editor}; verification requested", ""
    _insert(ConsentEvent, ["subscriber_id", "newsletter_id", "event", "at", "user_agent", "form", "wording_hash",
                           "detail"],
            ((pk, nid, event, now, "", "import", wording, detail[:300]) for pk, newsletter_ids in targets
             for nid in sorted(newsletter_ids)))
    if not consented:
        report.verifications = _queue_verifications(targets)
    _refresh_counts()


# PostgreSQL takes the rows through COPY: a hundred thousand readers, their
# subscriptions and consent events in seconds, with none of the ORM's per-object work.
# Other databases (SQLite, for the demo) get bulk_create.
USE_COPY = True


def _insert_subscribers(values: list[dict]) -> list[int]:
    """Insert these subscribers; return their ids in the same order. COPY returns
    nothing, so on PostgreSQL the ids are drawn from the table's sequence first."""
    if not values:
        return []
    if not (connection.vendor == "postgresql" and USE_COPY):
        created = []
        for start in range(0, len(values), BATCH):
            created += Subscriber.objects.bulk_create([Subscriber(**v) for v in values[start:start + BATCH]])
        return [subscriber.pk for subscriber in created]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [Subscriber._meta.db_table, len(values)])
        ids = [pk for (pk,) in cursor.fetchall()]
    columns = list(values[0])
    _insert(Subscriber, ["id", *columns], ((pk, *(v[c] for c in columns)) for pk, v in zip(ids, values)))
    return ids


def _insert(model, columns: list[str], rows) -> None:
    if connection.vendor == "postgresql" and USE_COPY:
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    objects = (model(**dict(zip(columns, row))) for row in rows)
    while chunk := list(itertools.islice(objects, BATCH)):
        model.objects.bulk_create(chunk)


def _queue_verifications(targets: list[tuple[int, set[int]]]) -> int:
    """One fan-out task per VERIFY_CHUNK readers asking for the same newsletters,
    queued after commit (the worker must find the rows)."""
    by_newsletters = defaultdict(list)
    for pk, newsletter_ids in targets:
        by_newsletters[tuple(sorted(newsletter_ids))].append(pk)
    for newsletter_ids, ids in by_newsletters.items():
        for start in range(0, len(ids), VERIFY_CHUNK):
            tasks.send_import_verifications.delay_on_commit(ids[start:start + VERIFY_CHUNK], list(newsletter_ids))
    return len(targets)


def _refresh_counts():
    from subscriptions.dashboard import subscriber_status_counts_refresh

    subscriber_status_counts_refresh()
