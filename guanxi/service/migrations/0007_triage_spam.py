# Unknown-sender triage: spam marks on tickets and inbound mail (issue 12).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("service", "0006_project_follow_up")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="ticket",
            name="spam_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="标记为垃圾邮件"),
        ),
        migrations.AlterField(
            model_name="inboundmail",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "已接收"),
                    ("ticket", "新建工单"),
                    ("message", "追加到工单"),
                    ("auto_reply", "自动回复（已忽略）"),
                    ("bounce", "退信（已忽略）"),
                    ("loop", "邮件循环（已忽略）"),
                    ("failed", "处理失败"),
                    ("duplicate", "重复邮件（已忽略）"),
                    ("spam", "垃圾邮件（已忽略）"),
                ],
                default="received",
                max_length=10,
                verbose_name="状态",
            ),
        ),
    ]
