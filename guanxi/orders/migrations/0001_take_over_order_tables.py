
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('customers', '0010_move_orders_to_orders_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The tables exist already (created by customers.0001 under these names): the models
    # moved here from the customers app, so only Django's state changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Order',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                        ('number', models.CharField(max_length=40, unique=True, verbose_name='订单号')),
                        ('order_date', models.DateField(verbose_name='下单日期')),
                        ('status', models.CharField(choices=[('confirmed', '已确认'), ('cancelled', '已取消')], default='confirmed', max_length=10, verbose_name='状态')),
                        ('currency', models.CharField(default='CNY', max_length=3, verbose_name='币种')),
                        ('total', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, verbose_name='金额')),
                        ('note', models.CharField(blank=True, max_length=500, verbose_name='备注')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='customers.customer', verbose_name='客户')),
                    ],
                    options={
                        'verbose_name': '订单',
                        'verbose_name_plural': '订单',
                        'db_table': 'customers_order',
                        'ordering': ['-order_date', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Product',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                        ('code', models.CharField(max_length=40, unique=True, verbose_name='编码')),
                        ('name', models.CharField(max_length=200, verbose_name='名称')),
                        ('category', models.CharField(blank=True, max_length=50, verbose_name='类别')),
                        ('unit_price', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='单价')),
                        ('active', models.BooleanField(default=True, verbose_name='在售')),
                    ],
                    options={
                        'verbose_name': '产品',
                        'verbose_name_plural': '产品',
                        'db_table': 'customers_product',
                        'ordering': ['code'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('unit_price__gte', 0)), name='product_price_gte_0')],
                    },
                ),
                migrations.CreateModel(
                    name='OrderLine',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('description', models.CharField(max_length=200, verbose_name='描述')),
                        ('quantity', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='数量')),
                        ('unit_price', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='单价')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='orders.order', verbose_name='订单')),
                        ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orders.product', verbose_name='产品')),
                    ],
                    options={
                        'verbose_name': '订单明细',
                        'verbose_name_plural': '订单明细',
                        'db_table': 'customers_orderline',
                    },
                ),
                migrations.AddIndex(
                    model_name='order',
                    index=models.Index(fields=['customer', 'order_date'], name='order_customer_date_idx'),
                ),
                migrations.AddIndex(
                    model_name='order',
                    index=models.Index(fields=['order_date'], name='order_date_idx'),
                ),
                migrations.AddConstraint(
                    model_name='order',
                    constraint=models.CheckConstraint(condition=models.Q(('total__gte', 0)), name='order_total_gte_0'),
                ),
                migrations.AddConstraint(
                    model_name='orderline',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='orderline_qty_gt_0'),
                ),
                migrations.AddConstraint(
                    model_name='orderline',
                    constraint=models.CheckConstraint(condition=models.Q(('unit_price__gte', 0)), name='orderline_price_gte_0'),
                ),
                migrations.AddConstraint(
                    model_name='orderline',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='orderline_amount_gte_0'),
                ),
    ],
            database_operations=[],
        ),
    ]
