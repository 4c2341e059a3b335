# Approved time priced once, for earned value; the EV method of a live task (issue 15).
#
# ``TimeEntry.cost`` holds hours × the person's rate on the day (to cents), set when the
# entry is approved; actual cost becomes a grouped SUM. The entries approved before this
# migration are priced here with the rule of the time, frozen below (no live app code):
# the latest rate of the person valid on the day, else of their role on the entry's
# project, else zero; each entry rounded to cents on its own (half-even, as before).
# One file for schema and data: the placeholder this issue was given; the data step
# only updates the new column, and the constraint comes after it.
import bisect
from decimal import Decimal

from django.db import migrations, models

CENT = Decimal("0.01")
BATCH = 2000


def _series(rows):
    series = {}
    for key, valid_from, rate in sorted(rows, key=lambda r: r[1]):
        days, rates = series.setdefault(key, ([], []))
        days.append(valid_from)
        rates.append(rate)
    return series


def _on(series, key, day):
    found = series.get(key)
    if found is None:
        return None
    index = bisect.bisect_right(found[0], day) - 1
    return found[1][index] if index >= 0 else None


def price_approved_time(apps, schema_editor):
    CostRate = apps.get_model("projects", "CostRate")
    ProjectMember = apps.get_model("projects", "ProjectMember")
    TimeEntry = apps.get_model("projects", "TimeEntry")
    db = schema_editor.connection.alias
    rates = list(
        CostRate.objects.using(db).values_list("user_id", "role", "valid_from", "hourly_rate")
    )
    by_user = _series([(u, d, r) for u, _role, d, r in rates if u is not None])
    by_role = _series([(role, d, r) for u, role, d, r in rates if u is None])
    roles = {
        (p, u): role
        for p, u, role in ProjectMember.objects.using(db).values_list(
            "project_id", "user_id", "role"
        )
    }
    pending = []
    for entry in (
        TimeEntry.objects.using(db)
        .filter(status="approved", cost__isnull=True)
        .only("id", "user_id", "project_id", "date", "hours")
        .iterator(chunk_size=BATCH)
    ):
        rate = _on(by_user, entry.user_id, entry.date)
        role = roles.get((entry.project_id, entry.user_id), "")
        if rate is None and role:
            rate = _on(by_role, role, entry.date)
        entry.cost = (entry.hours * (rate if rate is not None else Decimal("0"))).quantize(CENT)
        pending.append(entry)
        if len(pending) >= BATCH:
            TimeEntry.objects.using(db).bulk_update(pending, ["cost"])
            pending = []
    if pending:
        TimeEntry.objects.using(db).bulk_update(pending, ["cost"])


def unprice(apps, schema_editor):
    pass  # the column goes away with the reversed AddField


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_contract_link")]

    operations = [
        migrations.AddField(
            model_name="task",
            name="ev_method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("0_100", "0/100（完成才计）"),
                    ("50_50", "50/50（开始计一半）"),
                    ("physical", "实际完成百分比"),
                ],
                default="",
                max_length=10,
                verbose_name="挣值方法",
            ),
        ),
        migrations.AddField(
            model_name="timeentry",
            name="cost",
            field=models.DecimalField(
                blank=True, decimal_places=2, max_digits=14, null=True, verbose_name="成本"
            ),
        ),
        migrations.RunPython(price_approved_time, unprice, elidable=False),
        migrations.AddConstraint(
            model_name="timeentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "approved"), ("cost__gte", 0), ("cost__isnull", False)),
                    models.Q(
                        models.Q(("status", "approved"), _negated=True), ("cost__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="time_entry_cost_iff_approved",
            ),
        ),
    ]
