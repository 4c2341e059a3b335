# Issue 13 follow-up (placeholder until needed).
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0002_quotes_prices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations: list[migrations.operations.base.Operation] = []
