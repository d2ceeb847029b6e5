"""Import subscribers from a CSV file (columns email, name, language, newsletters).
Checks every row first; writes nothing if the file as a whole is unusable; prints a
report with each rejected row's line and reason. See subscriptions/importing.py."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from subscriptions.importing import MAX_BYTES, ImportFileError, ImportMode, subscribers_import
from subscriptions.models import Newsletter
from subscriptions.selectors import newsletter_default


class Command(BaseCommand):
    help = "Import subscribers from a CSV file: verification emails by default, or --consented with an attestation."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument(
            "--consented", metavar="ATTESTATION",
            help="these people consented elsewhere: subscribe them now, recording this text and --editor "
                 "in the consent log (default: send each new reader a verification email)",
        )
        parser.add_argument("--editor", metavar="USERNAME", help="the staff member responsible for the import")
        parser.add_argument("--newsletter", metavar="SLUG",
                            help="for rows with an empty newsletters column (default: the default newsletter)")
        parser.add_argument("--dry-run", action="store_true", help="check and report, change nothing")

    def handle(self, *args, file, consented, editor, newsletter, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{file}: larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files")
        if editor and not get_user_model().objects.filter(username=editor, is_staff=True).exists():
            raise CommandError(f"--editor {editor}: no staff account with that username")
        if consented is not None and not editor:
            raise CommandError("--consented needs --editor USERNAME: the consent log records who attests it")
        default = newsletter_default(fresh=True)
        if newsletter:
            default = Newsletter.objects.filter(slug=newsletter).first()
            if default is None:
                raise CommandError(f"--newsletter: no newsletter with slug {newsletter!r}")
        try:
            report = subscribers_import(
                data=path.read_bytes(),
                mode=ImportMode.CONSENTED if consented is not None else ImportMode.VERIFY,
                default_newsletter=default, editor=editor or "manage.py", attestation=consented or "",
                dry_run=dry_run,
            )
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        self._print(report)

    def _print(self, report):
        prefix = "dry run, nothing changed: " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{report.rows} rows: {report.created} new, {report.updated} existing updated, "
            f"{report.unchanged} already subscribed, {report.merged} duplicates merged, "
            f"{report.rejected_count} rejected"
            + (f", {report.verifications} verification emails requested" if report.verifications else "")
        )
        if report.ignored_columns:
            self.stdout.write(f"ignored columns: {', '.join(report.ignored_columns)}")
        for rejection in report.rejected:
            self.stdout.write(f"line {rejection.line}: {rejection.email or '(empty)'}: {rejection.reason}")
        if report.rejected_count > len(report.rejected):
            self.stdout.write(f"… and {report.rejected_count - len(report.rejected)} more rejected rows")
