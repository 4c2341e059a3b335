from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_customer_soft_delete_and_duplicate_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="duplicate_note",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=500, verbose_name="重复说明"
            ),
        ),
    ]
