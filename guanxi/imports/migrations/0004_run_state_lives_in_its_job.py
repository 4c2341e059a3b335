from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0003_move_run_state_to_jobs'),
    ]

    # The run's worker and heartbeat are its job's now (0003 moved them); its status is its
    # lifecycle only. ``kind`` takes any registered kind's key: no choices.
    operations = [
        migrations.RemoveField(
            model_name='importrun',
            name='heartbeat_at',
        ),
        migrations.RemoveField(
            model_name='importrun',
            name='worker',
        ),
        migrations.AlterField(
            model_name='importmapping',
            name='kind',
            field=models.CharField(max_length=20, verbose_name='类型'),
        ),
        migrations.AlterField(
            model_name='importrun',
            name='kind',
            field=models.CharField(max_length=20, verbose_name='类型'),
        ),
        migrations.AlterField(
            model_name='importrun',
            name='status',
            field=models.CharField(choices=[('uploaded', '已上传'), ('started', '导入中'), ('finished', '已完成'), ('undone', '已撤销')], default='uploaded', max_length=10, verbose_name='状态'),
        ),
    ]
