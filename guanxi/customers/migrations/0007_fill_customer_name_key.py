"""Fill ``Customer.name_key`` for the existing customers.

The key is computed in Python (a frozen copy of ``keys.stored_name_key``, ``_name_key_0007``: the simplification table and
``normalize_name_key`` have no SQL equivalent), 5,000 customers at a time, each batch its
own transaction (the migration is not atomic: a million rows are not held in one
transaction, and an interrupted fill resumes where the keys are still missing). Only rows
whose key differs are written, on PostgreSQL with one ``UPDATE … FROM unnest(…)`` per batch.
Reversing it leaves the keys (0006's reversal drops the column).
"""

from django.db import migrations, transaction

from guanxi.customers.migrations._name_key_0007 import stored_name_key

BATCH = 5000


def _write(connection, table, changed):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS c SET name_key = v.key "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, key) WHERE c.id = v.id",
                [[pk for pk, _key in changed], [key for _pk, key in changed]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET name_key = %s WHERE id = %s",
                [(key, pk) for pk, key in changed],
            )


def fill_name_keys(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    connection = schema_editor.connection
    table = connection.ops.quote_name(Customer._meta.db_table)
    customers = Customer._base_manager.using(connection.alias).order_by("pk")
    last = 0
    while True:
        rows = list(customers.filter(pk__gt=last).values_list("pk", "name", "name_key")[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        changed = [(pk, key) for pk, name, old in rows if (key := stored_name_key(name)) != old]
        if changed:
            with transaction.atomic(using=connection.alias):
                _write(connection, table, changed)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0006_customer_name_key"),
    ]

    operations = [
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=True),
    ]
