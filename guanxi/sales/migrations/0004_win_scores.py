"""The win-probability model's table (``sales.scoring``), a lead's duplicate-check note
(``sales.importers``), and — PostgreSQL only — a GIN index
over the two-character substrings of an opportunity's normalised name, which the kanban and
list search (``selectors.search_q``) narrow their candidates with (``gx_bigrams`` is the
function of ``customers`` migration 0003; pg_trgm cannot serve two-character Chinese)."""

from django.db import migrations, models

INDEX = (
    "CREATE INDEX IF NOT EXISTS opp_name_bigram_idx ON sales_opportunity "
    "USING gin (gx_bigrams(lower(normalize(name, NFKC))))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS opp_name_bigram_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0003_forecast_targets"),
        ("customers", "0003_postgres_name_bigrams"),
    ]

    operations = [
        migrations.CreateModel(
            name="WinModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("trained_at", models.DateTimeField(auto_now_add=True, verbose_name="训练时间")),
                ("closed_count", models.PositiveIntegerField(verbose_name="已关闭商机数")),
                ("won_count", models.PositiveIntegerField(verbose_name="赢单数")),
                ("features", models.JSONField(default=list, verbose_name="特征")),
                ("coefficients", models.JSONField(default=list, verbose_name="系数")),
                ("intercept", models.FloatField(default=0.0, verbose_name="截距")),
                ("means", models.JSONField(default=list)),
                ("scales", models.JSONField(default=list)),
                ("stats", models.JSONField(default=dict)),
                ("metrics", models.JSONField(default=dict)),
            ],
            options={
                "verbose_name": "赢率模型",
                "verbose_name_plural": "赢率模型",
                "ordering": ["-trained_at", "-id"],
                "indexes": [
                    models.Index(fields=["-trained_at", "-id"], name="winmodel_recent_idx")
                ],
            },
        ),
        migrations.AddField(
            model_name="lead",
            name="duplicate_note",
            field=models.CharField(blank=True, max_length=200, verbose_name="查重提示"),
        ),
        migrations.RunPython(create_index, drop_index),
    ]
