import json

from django.core.management.base import BaseCommand, CommandError

from shared_apps.tenants.catalog import catalog_diff, diff_line, schema_catalogs
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.template import TEMPLATE_SCHEMA, template_get


class Command(BaseCommand):
    help = (
        "Compare every active tenant schema's catalog (tables, columns, types, defaults, "
        "indexes, constraints, sequences) with the template of the current code; exit 1 on drift."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", action="append", help="Only this schema (repeatable).")
        parser.add_argument("--json", action="store_true", help="Print the differences as JSON.")

    def handle(self, *args, schema, json: bool, **options):
        template = template_get()  # rebuilds the template when the code changed
        tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("schema_name")
        if schema:
            tenants = tenants.filter(schema_name__in=schema)
        schemas = [tenant.schema_name for tenant in tenants]
        catalogs = schema_catalogs([TEMPLATE_SCHEMA, *schemas])
        reference = catalogs[TEMPLATE_SCHEMA]
        drift = {}
        for name in schemas:
            if not catalogs[name]["tables"]:
                drift[name] = [{"section": "schema", "name": name, "change": "missing",
                                "template": TEMPLATE_SCHEMA, "tenant": ""}]  # fmt: skip
            elif diffs := catalog_diff(reference, catalogs[name]):
                drift[name] = diffs
        if json:
            self.write_json(template.key, schemas, drift)
        else:
            self.write_text(template.key, schemas, drift)
        if drift:
            raise CommandError(f"{len(drift)} of {len(schemas)} tenant schema(s) drift.")

    def write_json(self, key: str, schemas: list[str], drift: dict) -> None:
        report = {"template": key, "checked": len(schemas), "drift": drift}
        self.stdout.write(json_dumps(report))

    def write_text(self, key: str, schemas: list[str], drift: dict) -> None:
        for name, diffs in drift.items():
            self.stdout.write(self.style.ERROR(f"{name}: {len(diffs)} difference(s)"))
            for diff in diffs:
                line = diff_line(diff) if diff["section"] != "schema" else "schema is missing"
                self.stdout.write(f"  {line}")
        if not drift:
            self.stdout.write(
                self.style.SUCCESS(f"All {len(schemas)} tenant schema(s) match template {key}.")
            )


def json_dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
