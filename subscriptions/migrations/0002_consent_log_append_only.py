"""On PostgreSQL the consent log refuses UPDATE and DELETE in the database itself, so no
code path (raw SQL, a cascade, a shell) can rewrite evidence. The one exception is an
erasure on request, which sets ``SET LOCAL nashra.erasure = 'on'`` in its transaction."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION subscriptions_consent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('nashra.erasure', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the consent log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER subscriptions_consent_append_only
    BEFORE UPDATE OR DELETE ON subscriptions_consentevent
    FOR EACH ROW EXECUTE FUNCTION subscriptions_consent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS subscriptions_consent_append_only ON subscriptions_consentevent;
DROP FUNCTION IF EXISTS subscriptions_consent_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the PL/pgSQL format string's % must not be read as a parameter.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
