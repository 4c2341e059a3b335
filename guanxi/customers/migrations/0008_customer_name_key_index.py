"""Index ``Customer.name_key`` once it is filled (0007): one build instead of an index
entry maintained for every row the fill rewrites. Only non-empty keys: the import never
looks up "" (a name too short to have a key)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_fill_customer_name_key"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("name_key", ""), _negated=True),
                fields=["name_key"],
                name="customer_name_key_idx",
            ),
        ),
    ]
