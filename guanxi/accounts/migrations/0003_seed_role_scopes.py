"""One ``RoleScope`` per role with the access every role had before levels were
configurable: admin all/all; manager their team's (now 本部门) to read and change; account
manager their own; service agent every customer to read, none to change (logging
communications stays a rule of its own); project manager and member their department's to
read only; portal users nothing."""

from django.db import migrations

SEED = {
    "admin": ("all", "all"),
    "manager": ("department", "department"),
    "account_manager": ("own", "own"),
    "service_agent": ("all", "none"),
    "project_manager": ("department", "none"),
    "project_member": ("department", "none"),
    "portal": ("none", "none"),
}


def seed(apps, schema_editor):
    RoleScope = apps.get_model("accounts", "RoleScope")
    for role, (read, write) in SEED.items():
        RoleScope.objects.get_or_create(
            role=role, defaults={"read_level": read, "write_level": write}
        )


def unseed(apps, schema_editor):
    apps.get_model("accounts", "RoleScope").objects.filter(role__in=SEED).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_departments_managers_role_scopes")]

    operations = [migrations.RunPython(seed, unseed)]
