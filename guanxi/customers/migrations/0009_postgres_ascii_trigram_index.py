"""PostgreSQL-only: the trigram index covers the ASCII part of the search text only.

``search_text`` holds the lower-cased name, its pinyin and initials, and the e-mail
address. Chinese names are found through the name-bigram index of ``0003`` (every query
of two or more characters), so their trigrams served no query the bigram index did not,
yet they were most of the trigram index's distinct keys — the costliest part of it to
maintain: at 1,000,000 customers 51 µs of a created customer's 118 µs of index
maintenance went to the trigram index; over the ASCII part only it is about a third less
(docs/benchmarks.md). ASCII queries (pinyin, Latin names, e-mail) search
``gx_ascii_text(search_text)``, where every run of other characters is one space, so
words stay apart."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION gx_ascii_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT regexp_replace(t, '[^\\x01-\\x7f]+', ' ', 'g') $$
"""
NEW_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_search_ascii_trgm_idx ON customers_customer "
    "USING gin (gx_ascii_text(search_text) gin_trgm_ops)"
)
OLD_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_search_trgm_idx ON customers_customer "
    "USING gin (search_text gin_trgm_ops)"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    schema_editor.execute(NEW_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS customer_search_trgm_idx")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(OLD_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS customer_search_ascii_trgm_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS gx_ascii_text(text)")


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_customer_name_key_index")]
    operations = [migrations.RunPython(forward, backward)]
