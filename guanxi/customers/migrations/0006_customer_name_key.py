"""``Customer.name_key``: the stored name key the import's duplicate matching looks up (one
indexed probe per row instead of seven spellings on ``name``). Added empty here; 0007 fills
it, 0008 indexes it — schema and data in separate migrations, so the table is not locked
for the whole fill."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_leaner_customer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="name_key",
            field=models.CharField(blank=True, max_length=200),
        ),
    ]
