# Quotes and price terms (helper h5): ProductTerms, DiscountLimit, Quote, QuoteLine.

import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0001_contracts_plans_collections'),
        ('customers', '0016_open_follow_ups_by_customer_and_staff'),
        ('orders', '0002_relabel_order_records'),
        ('sales', '0005_forecast_pool_speed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DiscountLimit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('role', models.CharField(choices=[('admin', '管理员'), ('manager', '经理'), ('account_manager', '客户经理'), ('service_agent', '客服专员'), ('project_manager', '项目经理'), ('project_member', '项目成员'), ('portal', '客户门户用户')], max_length=20, unique=True, verbose_name='角色')),
                ('max_discount', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='最大折扣（%）')),
            ],
            options={
                'verbose_name': '角色折扣上限',
                'verbose_name_plural': '角色折扣上限',
                'ordering': ['role'],
                'constraints': [models.CheckConstraint(condition=models.Q(('max_discount__gte', 0), ('max_discount__lte', 100)), name='discount_limit_0_100')],
            },
        ),
        migrations.CreateModel(
            name='Quote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                ('number', models.CharField(max_length=30, verbose_name='报价单号')),
                ('revision', models.PositiveSmallIntegerField(default=1, verbose_name='版本号')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('valid_until', models.DateField(verbose_name='有效期至')),
                ('currency', models.CharField(default='CNY', max_length=3, verbose_name='币种')),
                ('note', models.CharField(blank=True, max_length=1000, verbose_name='备注')),
                ('status', models.CharField(choices=[('draft', '草稿'), ('in_approval', '审批中'), ('approved', '折扣已批准'), ('sent', '已发送'), ('accepted', '已接受'), ('rejected', '已拒绝'), ('expired', '已过期'), ('superseded', '已修订')], default='draft', max_length=12, verbose_name='状态')),
                ('list_total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='目录价合计')),
                ('net_total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='折后合计（不含税）')),
                ('tax_total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='税额合计')),
                ('total', models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name='价税合计')),
                ('max_discount', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=5, verbose_name='最大折扣（%）')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='发送时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='客户答复时间')),
                ('contract_id', models.BigIntegerField(blank=True, null=True, verbose_name='合同编号')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='创建人')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.customer', verbose_name='客户')),
                ('opportunity', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.opportunity', verbose_name='商机')),
                ('previous', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='next_revision', to='contracts.quote', verbose_name='上一版本')),
            ],
            options={
                'verbose_name': '报价单',
                'verbose_name_plural': '报价单',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='QuoteLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='顺序')),
                ('description', models.CharField(max_length=200, verbose_name='名称')),
                ('unit', models.CharField(max_length=20, verbose_name='单位')),
                ('quantity', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='数量')),
                ('unit_price', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='单价')),
                ('discount_percent', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=5, verbose_name='折扣（%）')),
                ('tax_rate', models.DecimalField(decimal_places=2, max_digits=5, verbose_name='税率（%）')),
                ('list_amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='目录价金额')),
                ('net_amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='折后金额')),
                ('tax_amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='税额')),
                ('total', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='价税合计')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orders.product', verbose_name='产品')),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='contracts.quote', verbose_name='报价单')),
            ],
            options={
                'verbose_name': '报价明细',
                'verbose_name_plural': '报价明细',
                'ordering': ['quote', 'position'],
            },
        ),
        migrations.CreateModel(
            name='ProductTerms',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                ('list_price', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='目录价')),
                ('unit', models.CharField(default='件', max_length=20, verbose_name='单位')),
                ('tax_rate', models.DecimalField(decimal_places=2, default=Decimal('13.00'), max_digits=5, verbose_name='税率（%）')),
                ('product', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='terms', to='orders.product', verbose_name='产品')),
            ],
            options={
                'verbose_name': '产品价格条款',
                'verbose_name_plural': '产品价格条款',
                'ordering': ['product'],
                'constraints': [models.CheckConstraint(condition=models.Q(('list_price__gte', 0)), name='terms_price_gte_0'), models.CheckConstraint(condition=models.Q(('tax_rate__gte', 0), ('tax_rate__lte', 100)), name='terms_tax_0_100')],
            },
        ),
        migrations.AddIndex(
            model_name='quote',
            index=models.Index(fields=['opportunity', '-revision'], name='quote_opportunity_idx'),
        ),
        migrations.AddIndex(
            model_name='quote',
            index=models.Index(fields=['status', 'valid_until'], name='quote_status_valid_idx'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.UniqueConstraint(fields=('number', 'revision'), name='quote_number_revision'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('revision__gte', 1)), name='quote_revision_gte_1'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('total__gte', 0)), name='quote_total_gte_0'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('max_discount__gte', 0), ('max_discount__lte', 100)), name='quote_discount_0_100'),
        ),
        migrations.AddConstraint(
            model_name='quote',
            constraint=models.CheckConstraint(condition=models.Q(('title', ''), _negated=True), name='quote_title_not_empty'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.UniqueConstraint(fields=('quote', 'position'), name='quoteline_position'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='quoteline_qty_gt_0'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('unit_price__gte', 0)), name='quoteline_price_gte_0'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('discount_percent__gte', 0), ('discount_percent__lte', 100)), name='quoteline_discount_0_100'),
        ),
        migrations.AddConstraint(
            model_name='quoteline',
            constraint=models.CheckConstraint(condition=models.Q(('tax_rate__gte', 0), ('tax_rate__lte', 100)), name='quoteline_tax_0_100'),
        ),
    ]
