"""Seed the default roles (owner, admin, member, viewer) in every tenant; safe to run again."""

from django.db import migrations

from tenant_apps.teams.defaults import DEFAULT_ROLES


def seed_roles(apps, schema_editor):
    Role = apps.get_model("teams", "Role")
    for role in DEFAULT_ROLES:
        Role.objects.update_or_create(
            slug=role["slug"],
            defaults={"name": role["name"], "permissions": role["permissions"], "is_system": True},
        )


def unseed_roles(apps, schema_editor):
    Role = apps.get_model("teams", "Role")
    slugs = [role["slug"] for role in DEFAULT_ROLES]
    Role.objects.filter(slug__in=slugs, team_members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]

    operations = [migrations.RunPython(seed_roles, unseed_roles)]
