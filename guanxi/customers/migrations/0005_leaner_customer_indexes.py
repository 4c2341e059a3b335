"""Fewer indexes on the customer table: each one costs every written row its upkeep (an
imported row pays for all of them; see docs/benchmarks.md, "Import and export").

- The FK indexes on owner, team and created_by go: the composite (owner/team, name) and
  (owner/team, created_at) indexes lead with the first two, and created_by is read only
  when a user is deleted. The timeline's customer index goes too (timeline_feed_idx leads
  with it).
- phone_key, name_initials and name_pinyin keep one B-tree each, with the pattern operator
  class on PostgreSQL, which serves both ``=`` and ``LIKE 'prefix%'`` under any collation.
  On PostgreSQL the ``*_like_idx`` copies that 0002 created become those indexes (renamed,
  not rebuilt) and the plain ones are dropped; elsewhere the indexes stay as they are
  (the operator class means nothing there).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PATTERN_INDEXES = [
    # (name, column, 0002's pattern-ops copy)
    ("customer_phone_idx", "phone_key", "customer_phone_like_idx"),
    ("customer_initials_idx", "name_initials", "customer_initials_like_idx"),
    ("customer_pinyin_idx", "name_pinyin", "customer_pinyin_like_idx"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column, pattern_copy in PATTERN_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"ALTER INDEX IF EXISTS {pattern_copy} RENAME TO {name}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer "
            f"({column} varchar_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column, pattern_copy in PATTERN_INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} RENAME TO {pattern_copy}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer ({column})")


def _pattern_index(name, column):
    return models.Index(fields=[column], name=name, opclasses=["varchar_pattern_ops"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0004_import_merge_and_recent_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(
                    migrations.RemoveIndex(model_name="customer", name=name)
                    for name, _column, _copy in PATTERN_INDEXES
                ),
                *(
                    migrations.AddIndex(model_name="customer", index=_pattern_index(name, column))
                    for name, column, _copy in PATTERN_INDEXES
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
        migrations.AlterField(
            model_name="customer",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="owned_customers",
                to=settings.AUTH_USER_MODEL,
                verbose_name="客户经理",
            ),
        ),
        migrations.AlterField(
            model_name="customer",
            name="team",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="customers",
                to="accounts.team",
                verbose_name="团队",
            ),
        ),
        migrations.AlterField(
            model_name="timelineentry",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="timeline",
                to="customers.customer",
                verbose_name="客户",
            ),
        ),
    ]
