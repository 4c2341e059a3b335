# Risk register and project closure (issue 15 items 4, 6).
from decimal import Decimal

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0005_changes_acceptance"),
        ("service", "0004_mailboxes_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Risk',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                ('number', models.PositiveIntegerField(verbose_name='编号')),
                ('title', models.CharField(max_length=200, verbose_name='风险')),
                ('description', models.TextField(blank=True, max_length=4000, verbose_name='说明')),
                ('category', models.CharField(choices=[('schedule', '进度'), ('cost', '成本'), ('quality', '质量'), ('scope', '范围'), ('customer', '客户关系'), ('resource', '资源'), ('technical', '技术'), ('other', '其他')], default='other', max_length=10, verbose_name='类别')),
                ('probability', models.PositiveSmallIntegerField(default=3, verbose_name='可能性（1–5）')),
                ('impact', models.PositiveSmallIntegerField(default=3, verbose_name='影响（1–5）')),
                ('score', models.PositiveSmallIntegerField(default=9, editable=False, verbose_name='风险值')),
                ('triggers', models.TextField(blank=True, max_length=2000, verbose_name='触发条件')),
                ('mitigation', models.TextField(blank=True, max_length=4000, verbose_name='应对措施')),
                ('contingency_plan', models.TextField(blank=True, max_length=4000, verbose_name='应急预案')),
                ('contingency_budget', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, verbose_name='应急预算')),
                ('reserve_used', models.DecimalField(decimal_places=2, default=Decimal('0'), editable=False, max_digits=14, verbose_name='已动用储备')),
                ('status', models.CharField(choices=[('open', '已识别'), ('mitigating', '应对中'), ('occurred', '已发生'), ('closed', '已关闭')], default='open', max_length=10, verbose_name='状态')),
                ('signal', models.CharField(blank=True, choices=[('satisfaction', '满意度下降'), ('change_requests', '需求变更过多'), ('overdue_visits', '回访逾期'), ('value_class', '客户价值类别下降'), ('overdue_collections', '回款逾期')], max_length=20, verbose_name='来源信号')),
                ('signal_text', models.CharField(blank=True, max_length=300, verbose_name='信号说明')),
                ('review_date', models.DateField(blank=True, null=True, verbose_name='复核日期')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='负责人')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='risks', to='projects.project', verbose_name='项目')),
            ],
            options={
                'verbose_name': '风险',
                'verbose_name_plural': '风险',
                'ordering': ['project_id', '-score', 'number'],
            },
        ),
        migrations.CreateModel(
            name='RiskReserveDraw',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='金额')),
                ('date', models.DateField(verbose_name='日期')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='说明')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('risk', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='draws', to='projects.risk', verbose_name='风险')),
            ],
            options={
                'verbose_name': '储备动用',
                'verbose_name_plural': '储备动用',
                'ordering': ['risk_id', 'date', 'id'],
            },
        ),
        migrations.CreateModel(
            name='LessonLearned',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('category', models.CharField(choices=[('went_well', '做得好的'), ('to_change', '需要改进的')], max_length=10, verbose_name='类别')),
                ('text', models.TextField(max_length=4000, verbose_name='经验教训')),
                ('tags', models.CharField(blank=True, max_length=200, verbose_name='标签')),
                ('search_text', models.TextField(blank=True, editable=False, max_length=12000)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lessons', to='projects.project', verbose_name='项目')),
            ],
            options={
                'verbose_name': '经验教训',
                'verbose_name_plural': '经验教训',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['project', 'category'], name='lesson_project_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('text', ''), _negated=True), name='lesson_text_not_empty')],
            },
        ),
        migrations.CreateModel(
            name='ProjectClosure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('closed_at', models.DateTimeField(verbose_name='结项时间')),
                ('summary', models.TextField(blank=True, max_length=8000, verbose_name='项目总结')),
                ('forced_reason', models.CharField(blank=True, max_length=500, verbose_name='强制结项原因')),
                ('open_tasks', models.PositiveIntegerField(default=0, verbose_name='结项时未完成任务数')),
                ('actual_cost', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=16, verbose_name='实际成本')),
                ('budget', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=14, verbose_name='预算')),
                ('evaluation_score', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='客户评价（1–5）')),
                ('evaluation_comment', models.TextField(blank=True, max_length=2000, verbose_name='客户意见')),
                ('evaluation_source', models.CharField(blank=True, choices=[('staff', '员工代客户录入'), ('portal', '客户门户')], max_length=6, verbose_name='评价来源')),
                ('evaluated_at', models.DateTimeField(blank=True, null=True, verbose_name='评价时间')),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='结项人')),
                ('evaluated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='录入人')),
                ('follow_up', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='service.followup', verbose_name='回访')),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='closure', to='projects.project', verbose_name='项目')),
            ],
            options={
                'verbose_name': '项目结项',
                'verbose_name_plural': '项目结项',
                'ordering': ['-closed_at', '-id'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('evaluated_at__isnull', True), ('evaluation_score__isnull', True)), models.Q(('evaluated_at__isnull', False), ('evaluation_score__gte', 1), ('evaluation_score__lte', 5)), _connector='OR'), name='closure_evaluation_1_5'), models.CheckConstraint(condition=models.Q(('open_tasks', 0), models.Q(('forced_reason', ''), _negated=True), _connector='OR'), name='closure_open_tasks_need_reason')],
            },
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['project', 'status', '-score'], name='risk_project_idx'),
        ),
        migrations.AddIndex(
            model_name='risk',
            index=models.Index(fields=['owner', 'status'], name='risk_owner_idx'),
        ),
        migrations.AddConstraint(
            model_name='risk',
            constraint=models.UniqueConstraint(fields=('project', 'number'), name='risk_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='risk',
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(('signal', ''), _negated=True), models.Q(('status', 'closed'), _negated=True)), fields=('project', 'signal'), name='risk_one_open_per_signal'),
        ),
        migrations.AddConstraint(
            model_name='risk',
            constraint=models.CheckConstraint(condition=models.Q(('title', ''), _negated=True), name='risk_title_not_empty'),
        ),
        migrations.AddConstraint(
            model_name='risk',
            constraint=models.CheckConstraint(condition=models.Q(('impact__gte', 1), ('impact__lte', 5), ('probability__gte', 1), ('probability__lte', 5)), name='risk_scales_1_5'),
        ),
        migrations.AddConstraint(
            model_name='risk',
            constraint=models.CheckConstraint(condition=models.Q(('score', django.db.models.expressions.CombinedExpression(models.F('probability'), '*', models.F('impact')))), name='risk_score_is_product'),
        ),
        migrations.AddConstraint(
            model_name='risk',
            constraint=models.CheckConstraint(condition=models.Q(('reserve_used__gte', 0), ('reserve_used__lte', models.F('contingency_budget'))), name='risk_reserve_within_budget'),
        ),
        migrations.AddConstraint(
            model_name='riskreservedraw',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='risk_draw_amount_gt_0'),
        ),
    ]
