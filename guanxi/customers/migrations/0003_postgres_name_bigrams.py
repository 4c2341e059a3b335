"""PostgreSQL-only: a GIN index over the two-character substrings of the normalised name.

pg_trgm needs three characters, so two-character Chinese queries (华为, 银行) would scan the
whole table; ``selectors.search_q`` adds ``gx_bigrams(...) @> grams`` for them and keeps the
``LIKE`` as the exact check."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION gx_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
   FROM generate_series(1, char_length(t) - 1) AS i $$
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_name_bigram_idx ON customers_customer "
    "USING gin (gx_bigrams(lower(normalize(name, NFKC))))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS customer_name_bigram_idx")
    schema_editor.execute("DROP FUNCTION IF EXISTS gx_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_postgres_search_indexes")]
    operations = [migrations.RunPython(create, drop)]
