"""PostgreSQL-only search indexes: trigram GIN for substring search of names/pinyin, and
pattern-ops B-trees so ``LIKE 'prefix%'`` uses an index under any collation. SQLite
uses the plain B-tree indexes of 0001 for prefixes and scans for substrings."""

from django.db import migrations

INDEXES = [
    ("customer_search_trgm_idx", "customers_customer", "USING gin (search_text gin_trgm_ops)"),
    ("customer_initials_like_idx", "customers_customer", "(name_initials varchar_pattern_ops)"),
    ("customer_pinyin_like_idx", "customers_customer", "(name_pinyin varchar_pattern_ops)"),
    ("customer_phone_like_idx", "customers_customer", "(phone_key varchar_pattern_ops)"),
    ("contact_phone_like_idx", "customers_contact", "(phone_key varchar_pattern_ops)"),
    ("contact_mobile_like_idx", "customers_contact", "(mobile_key varchar_pattern_ops)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _definition in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
