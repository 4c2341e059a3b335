"""Data: records that name the moved models by label ("customers.order") name them by their
new label ("orders.order"): audit entries, timeline subjects, import ledgers, merge records
and content types. The labels are written here as text (no live code is imported)."""

import json

from django.db import migrations

MOVED = ("order", "orderline", "product")


def _pairs(forward):
    old, new = ("customers", "orders") if forward else ("orders", "customers")
    return [(f"{old}.{m}", f"{new}.{m}") for m in MOVED]


def _relabel_json(model, fields, pairs):
    for field in fields:
        for needle, _new in pairs:
            qs = model.objects.filter(**{f"{field}__icontains": needle}).only("pk", field)
            for row in qs.iterator(chunk_size=2000):
                text = json.dumps(getattr(row, field), ensure_ascii=False)
                for old, new in pairs:
                    text = text.replace(f'"{old}"', f'"{new}"').replace(f'"{old}.', f'"{new}.')
                setattr(row, field, json.loads(text))
                row.save(update_fields=[field])


def relabel(apps, schema_editor, forward=True):
    pairs = _pairs(forward)
    AuditEntry = apps.get_model("core", "AuditEntry")
    TimelineEntry = apps.get_model("customers", "TimelineEntry")
    for old, new in pairs:
        AuditEntry.objects.filter(model=old).update(model=new)
        TimelineEntry.objects.filter(subject_model=old).update(subject_model=new)
    _relabel_json(TimelineEntry, ["data"], pairs)
    _relabel_json(apps.get_model("customers", "ImportChunk"), ["created"], pairs)
    _relabel_json(apps.get_model("customers", "CustomerMerge"), ["moved", "dropped"], pairs)
    ContentType = apps.get_model("contenttypes", "ContentType")
    old_app, new_app = pairs[0][0].split(".")[0], pairs[0][1].split(".")[0]
    for model in MOVED:
        if not ContentType.objects.filter(app_label=new_app, model=model).exists():
            ContentType.objects.filter(app_label=old_app, model=model).update(app_label=new_app)


def unrelabel(apps, schema_editor):
    relabel(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_take_over_order_tables"),
        ("core", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(relabel, unrelabel)]
