import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('core', '0001_initial'),
        ('customers', '0012_move_imports_to_imports_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The tables exist already (created by the customers app under these names): the
    # models moved here from the customers app, so only Django's state changes. The state
    # is the customers app's as it was; 0003 and 0004 change it.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportMapping',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='名称')),
                        ('kind', models.CharField(choices=[('customers', '客户'), ('contacts', '联系人'), ('orders', '订单'), ('communications', '沟通记录')], max_length=20, verbose_name='类型')),
                        ('columns', models.JSONField(default=dict, verbose_name='列对应')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='创建人')),
                    ],
                    options={
                        'verbose_name': '导入映射模板',
                        'verbose_name_plural': '导入映射模板',
                        'ordering': ['kind', 'name'],
                        'db_table': 'customers_importmapping',
                    },
                ),
                migrations.AddConstraint(
                    model_name='importmapping',
                    constraint=models.UniqueConstraint(fields=('kind', 'name'), name='import_mapping_unique_name'),
                ),
                migrations.CreateModel(
                    name='ImportRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('customers', '客户'), ('contacts', '联系人'), ('orders', '订单'), ('communications', '沟通记录')], max_length=20, verbose_name='类型')),
                        ('status', models.CharField(choices=[('uploaded', '已上传'), ('running', '导入中'), ('finished', '已完成'), ('failed', '失败'), ('undone', '已撤销')], default='uploaded', max_length=10, verbose_name='状态')),
                        ('source', models.CharField(default='ui', max_length=10, verbose_name='来源')),
                        ('file_name', models.CharField(max_length=255, verbose_name='文件名')),
                        ('storage_name', models.CharField(blank=True, max_length=300)),
                        ('local_path', models.CharField(blank=True, max_length=1000)),
                        ('file_hash', models.CharField(max_length=64, verbose_name='文件指纹')),
                        ('file_size', models.BigIntegerField(default=0, verbose_name='文件大小')),
                        ('file_format', models.CharField(blank=True, max_length=10, verbose_name='格式')),
                        ('encoding', models.CharField(blank=True, max_length=30, verbose_name='编码')),
                        ('delimiter', models.CharField(blank=True, max_length=2, verbose_name='分隔符')),
                        ('sheet', models.CharField(blank=True, max_length=100, verbose_name='工作表')),
                        ('headers', models.JSONField(blank=True, default=list, verbose_name='表头')),
                        ('mapping', models.JSONField(blank=True, default=dict, verbose_name='列对应')),
                        ('options', models.JSONField(blank=True, default=dict, verbose_name='选项')),
                        ('total_rows', models.PositiveIntegerField(blank=True, null=True, verbose_name='总行数')),
                        ('processed_rows', models.PositiveIntegerField(default=0, verbose_name='已处理行数')),
                        ('created_count', models.PositiveIntegerField(default=0, verbose_name='新建')),
                        ('updated_count', models.PositiveIntegerField(default=0, verbose_name='更新')),
                        ('skipped_count', models.PositiveIntegerField(default=0, verbose_name='跳过')),
                        ('failed_count', models.PositiveIntegerField(default=0, verbose_name='失败')),
                        ('checkpoint_row', models.PositiveIntegerField(default=0, verbose_name='检查点行号')),
                        ('chunks_done', models.PositiveIntegerField(default=0)),
                        ('worker', models.CharField(blank=True, max_length=120)),
                        ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                        ('message', models.CharField(blank=True, max_length=500, verbose_name='消息')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='开始时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成时间')),
                        ('undone_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='发起人')),
                        ('job', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='core.job')),
                        ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '导入',
                        'verbose_name_plural': '导入',
                        'ordering': ['-created_at', '-id'],
                        'db_table': 'customers_importrun',
                    },
                ),
                migrations.AddIndex(
                    model_name='importrun',
                    index=models.Index(fields=['file_hash', 'kind'], name='import_run_hash_idx'),
                ),
                migrations.AddIndex(
                    model_name='importrun',
                    index=models.Index(fields=['created_by', '-created_at'], name='import_run_user_idx'),
                ),
                migrations.CreateModel(
                    name='ImportChunk',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveIntegerField()),
                        ('first_row', models.PositiveIntegerField()),
                        ('last_row', models.PositiveIntegerField()),
                        ('created', models.JSONField(blank=True, default=dict)),
                        ('updated', models.JSONField(blank=True, default=list)),
                        ('counts', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('undone_at', models.DateTimeField(blank=True, null=True)),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='imports.importrun')),
                    ],
                    options={
                        'verbose_name': '导入批次',
                        'verbose_name_plural': '导入批次',
                        'ordering': ['run', 'seq'],
                        'db_table': 'customers_importchunk',
                    },
                ),
                migrations.AddConstraint(
                    model_name='importchunk',
                    constraint=models.UniqueConstraint(fields=('run', 'seq'), name='import_chunk_unique_seq'),
                ),
                migrations.CreateModel(
                    name='ImportRowError',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('row', models.PositiveIntegerField(verbose_name='行号')),
                        ('column', models.CharField(blank=True, max_length=255, verbose_name='列')),
                        ('value', models.CharField(blank=True, max_length=500, verbose_name='值')),
                        ('code', models.CharField(max_length=40, verbose_name='错误代码')),
                        ('params', models.JSONField(blank=True, default=dict)),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='row_errors', to='imports.importrun')),
                    ],
                    options={
                        'verbose_name': '导入错误',
                        'verbose_name_plural': '导入错误',
                        'ordering': ['run', 'row', 'id'],
                        'db_table': 'customers_importrowerror',
                    },
                ),
                migrations.AddIndex(
                    model_name='importrowerror',
                    index=models.Index(fields=['run', 'row'], name='import_error_row_idx'),
                ),            ],
            database_operations=[],
        ),
    ]
