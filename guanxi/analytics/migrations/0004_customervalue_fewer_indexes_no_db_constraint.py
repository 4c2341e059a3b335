"""The recompute no longer builds a new ``CustomerValue`` table and swaps it in (DDL at run
time); it deletes and re-inserts every row in place (ADR 0004), so every index and the
foreign-key check are paid per row at every recompute. Kept: what the pages use.

* ``cv_p_alive_idx`` served only the API's ``p_alive`` / ``-churn_risk`` sorts;
  ``cv_propensity_idx`` could not serve the propensity list's ``DESC NULLS LAST`` order on
  PostgreSQL at all (measured: a sort either way).
* The default order "CLV high to low, no CLV last" becomes an integer rank written by the
  recompute (``clv_rank``, filled from the stored CLV by 0005), one index on both
  databases, instead of ``cv_clv_idx`` (SQLite, read backwards; on PostgreSQL it served
  only the ascending sort, no faster than a sort) and PostgreSQL's
  ``clv DESC NULLS LAST, customer_id`` index from 0003 (a numeric key costs about twice
  an integer one to fill).
* The customer link loses its database constraint (see ``CustomerValue``).
* ``ValueSnapshot.run`` loses its own index: the unique key (run, customer) starts with it.
"""

import django.db.models.deletion
from django.db import migrations, models

DROP_CLV_DESC = "DROP INDEX IF EXISTS cv_clv_desc_idx"
CREATE_CLV_DESC = (
    "CREATE INDEX IF NOT EXISTS cv_clv_desc_idx "
    "ON analytics_customervalue (clv DESC NULLS LAST, customer_id)"
)


def drop_clv_desc_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CLV_DESC)


def restore_clv_desc_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_CLV_DESC)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_postgres_clv_desc_index")]

    operations = [
        migrations.RemoveIndex(model_name="customervalue", name="cv_p_alive_idx"),
        migrations.RemoveIndex(model_name="customervalue", name="cv_propensity_idx"),
        migrations.RemoveIndex(model_name="customervalue", name="cv_clv_idx"),
        migrations.RunPython(drop_clv_desc_index, restore_clv_desc_index),
        migrations.AddField(
            model_name="customervalue",
            name="clv_rank",
            field=models.PositiveIntegerField(default=0, verbose_name="CLV 排名"),
        ),
        migrations.AddIndex(
            model_name="customervalue",
            index=models.Index(fields=["clv_rank"], name="cv_clv_rank_idx"),
        ),
        migrations.AlterField(
            model_name="customervalue",
            name="customer",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="value",
                serialize=False,
                to="customers.customer",
                verbose_name="客户",
            ),
        ),
        migrations.AlterField(
            model_name="valuesnapshot",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="snapshots",
                to="analytics.analyticsrun",
            ),
        ),
    ]
