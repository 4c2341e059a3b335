"""PostgreSQL only: an index in the order of the value lists' default sort, "CLV high to
low, customers without a CLV last" (``clv DESC NULLS LAST``). A plain ascending index read
backwards gives NULLS FIRST, so without this the whole table is sorted for the first page.
SQLite cannot put NULLS LAST in an index (and its tables are small). The recompute's table
swap re-creates it with every other index of the table."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS cv_clv_desc_idx "
    "ON analytics_customervalue (clv DESC NULLS LAST, customer_id)"
)
DROP = "DROP INDEX IF EXISTS cv_clv_desc_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_snapshot_previous_and_pareto_curve")]

    operations = [migrations.RunPython(create, drop)]
