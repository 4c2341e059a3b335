"""Data: ``clv_rank`` (0004) of the stored values, until the next recompute writes it —
the position in "CLV high to low, customers without a CLV last, then by customer"."""

from django.db import migrations

FILL = (
    "UPDATE {table} SET clv_rank = r.position FROM ("
    "SELECT customer_id, ROW_NUMBER() OVER (ORDER BY clv DESC NULLS LAST, customer_id) "
    "AS position FROM {table}) r WHERE {table}.customer_id = r.customer_id"
)


def fill(apps, schema_editor):
    table = apps.get_model("analytics", "CustomerValue")._meta.db_table
    schema_editor.execute(FILL.format(table=schema_editor.quote_name(table)))


class Migration(migrations.Migration):
    dependencies = [("analytics", "0004_customervalue_fewer_indexes_no_db_constraint")]

    # Backwards: 0004 drops the column.
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
