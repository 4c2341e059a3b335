"""The forecast's two partial covering indexes (open by expected close, won by closing
time): each half of ``selectors_forecast.forecast_rows`` becomes an index-only scan on
PostgreSQL (``INCLUDE`` is ignored elsewhere; the partial index stays)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_win_scores")]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["expected_close"],
                include=(
                    "amount",
                    "probability",
                    "stage",
                    "owner",
                    "team",
                    "pipeline",
                    "forecast_category",
                ),  # fmt: skip
                name="opp_forecast_open_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("status", "won")),
                fields=["closed_at"],
                include=("amount", "owner", "team", "pipeline"),
                name="opp_forecast_won_idx",
            ),
        ),
    ]
