# Cost to serve from the apps (F8, issue 15).
from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analytics", "0006_dashboard_aggregate")]

    operations = [
        migrations.AddField(
            model_name="analyticssettings",
            name="cost_per_ticket",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                max_digits=10,
                verbose_name="每张工单服务成本",
            ),
        ),
        migrations.AddField(
            model_name="customervalue",
            name="cost_breakdown",
            field=models.JSONField(blank=True, default=dict, verbose_name="服务成本构成"),
        ),
    ]
