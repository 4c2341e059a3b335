from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_customer_collaborators"),
        # orders.0002 relabels the order records in ImportChunk, still a customers model then
        ("orders", "0002_relabel_order_records"),
    ]

    # ImportMapping, ImportRun, ImportChunk and ImportRowError moved to the imports app
    # (guanxi/imports). Their tables keep their names, so this only updates Django's state;
    # imports.0001 takes them over.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="importchunk",
                    name="run",
                ),
                migrations.RemoveField(
                    model_name="importrowerror",
                    name="run",
                ),
                migrations.DeleteModel(
                    name="ImportChunk",
                ),
                migrations.DeleteModel(
                    name="ImportRowError",
                ),
                migrations.DeleteModel(
                    name="ImportMapping",
                ),
                migrations.DeleteModel(
                    name="ImportRun",
                ),
            ],
            database_operations=[],
        ),
    ]
