
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_postgres_ascii_trigram_index'),
    ]

    # Product, Order and OrderLine moved to the orders app (guanxi/orders). Their tables
    # keep their names, so this only updates Django's state; orders.0001 takes them over.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='orderline',
                    name='order',
                ),
                migrations.RemoveField(
                    model_name='orderline',
                    name='product',
                ),
                migrations.DeleteModel(
                    name='Order',
                ),
                migrations.DeleteModel(
                    name='OrderLine',
                ),
                migrations.DeleteModel(
                    name='Product',
                ),
    ],
            database_operations=[],
        ),
    ]
