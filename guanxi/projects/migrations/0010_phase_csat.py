# Satisfaction per phase (issue 15).
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_kpi"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="phasegate",
            name="csat_score",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="阶段满意度（1–5）"
            ),
        ),
        migrations.AddField(
            model_name="phasegate",
            name="csat_comment",
            field=models.TextField(blank=True, max_length=2000, verbose_name="满意度意见"),
        ),
        migrations.AddField(
            model_name="phasegate",
            name="csat_source",
            field=models.CharField(
                blank=True,
                choices=[("staff", "员工代客户录入"), ("portal", "客户门户")],
                max_length=6,
                verbose_name="满意度来源",
            ),
        ),
        migrations.AddField(
            model_name="phasegate",
            name="csat_contact",
            field=models.CharField(blank=True, max_length=100, verbose_name="客户评价人"),
        ),
        migrations.AddField(
            model_name="phasegate",
            name="csat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="满意度录入时间"),
        ),
        migrations.AddField(
            model_name="phasegate",
            name="csat_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="满意度录入人",
            ),
        ),
        migrations.AddConstraint(
            model_name="phasegate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("csat_at__isnull", True), ("csat_score__isnull", True)),
                    models.Q(
                        ("csat_at__isnull", False),
                        ("csat_score__gte", 1),
                        ("csat_score__lte", 5),
                        ("passed_at__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="phase_gate_csat_1_5_after_pass",
            ),
        ),
    ]
