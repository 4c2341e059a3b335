# Receivables aging speed (issue 13): the open instalments in customer order, so the aging
# by customer streams out of a sorted aggregate over an index-only scan.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contracts", "0003_demo_receivables")]

    operations = [
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "partly", "overdue"])),
                fields=["customer", "due_date", "amount", "received"],
                name="instalment_customer_open_idx",
            ),
        ),
    ]
