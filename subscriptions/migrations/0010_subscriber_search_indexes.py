"""Indexes for the subscriber list at a million rows, built without locking signups out.

``CREATE INDEX CONCURRENTLY`` cannot run inside a transaction, so this migration is
not atomic; ``IF NOT EXISTS`` makes a rerun after an interruption harmless (an
interrupted concurrent build leaves an INVALID index: drop it and migrate again).

- ``subscriber_source`` / ``subscriber_language``: (column, id DESC), the admin's
  filters in its newest-first order.
- trigram GIN indexes on ``UPPER(email::text)`` and ``UPPER(name::text)``: exactly the
  expression Django's ``icontains`` produces on PostgreSQL, so searching for part of
  an address or a name ("سارة") is an index scan instead of reading every row.
  ``pg_trgm`` ships with PostgreSQL and is a trusted extension (PostgreSQL 13+): the
  database owner may create it.

SQLite (demo) gets the two btree indexes only; its search scans, which is fine at
demo sizes.
"""

from django.db import migrations, models

SOURCE = models.Index(fields=["source", "-id"], name="subscriber_source")
LANGUAGE = models.Index(fields=["language", "-id"], name="subscriber_language")

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS subscriber_source "
    "ON subscriptions_subscriber (source, id DESC)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS subscriber_language "
    "ON subscriptions_subscriber (language, id DESC)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS subscriber_email_trgm "
    "ON subscriptions_subscriber USING gin (UPPER(email::text) gin_trgm_ops)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS subscriber_name_trgm "
    "ON subscriptions_subscriber USING gin (UPPER(name::text) gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    f"DROP INDEX CONCURRENTLY IF EXISTS {name}"
    for name in ("subscriber_name_trgm", "subscriber_email_trgm", "subscriber_language", "subscriber_source")
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)
    else:
        model = apps.get_model("subscriptions", "Subscriber")
        schema_editor.add_index(model, SOURCE)
        schema_editor.add_index(model, LANGUAGE)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)
    else:
        model = apps.get_model("subscriptions", "Subscriber")
        schema_editor.remove_index(model, LANGUAGE)
        schema_editor.remove_index(model, SOURCE)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("subscriptions", "0009_dashboard")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="subscriber", index=SOURCE),
                migrations.AddIndex(model_name="subscriber", index=LANGUAGE),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
