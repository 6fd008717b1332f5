"""Demo tenants with a little data, for `make run`."""

import datetime

from django.utils import timezone
from django_tenants.utils import tenant_context

from shared_apps.accounts.models import Membership, Role, User
from shared_apps.tenants.models import Tenant
from shared_apps.tenants.services import tenant_create
from tenant_apps.context.models import ContextDocument, Decision, Session
from tenant_apps.projects.models import Project, Repository
from tenant_apps.tracker.models import Task, TaskStatus

DEMO_PASSWORD = "devcontext-demo"  # noqa: S105 - local demo only
DEMO_TENANTS = [("acme", "Acme Inc."), ("globex", "Globex Corporation")]
OPERATOR_EMAIL = "admin@localhost"


def demo_user(email: str, **extra) -> User:
    user, created = User.objects.get_or_create(email=email, defaults=extra)
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def demo_setup() -> list[Tenant]:
    """Create the operator, the demo tenants and their owners and data; idempotent."""
    demo_user(OPERATOR_EMAIL, is_staff=True, is_superuser=True, full_name="Operator")
    tenants = []
    for slug, name in DEMO_TENANTS:
        tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(slug=slug, name=name)
        owner = demo_user(f"owner@{slug}.test", full_name=f"{name} owner")
        Membership.objects.get_or_create(user=owner, tenant=tenant, defaults={"role": Role.OWNER})
        with tenant_context(tenant):
            demo_data(owner=owner, key=slug[:3].upper())
        tenants.append(tenant)
    return tenants


def demo_data(*, owner: User, key: str) -> None:
    project, created = Project.objects.get_or_create(
        key=key, defaults={"name": f"{key} platform", "tags": ["demo"], "created_by": owner.id}
    )
    if not created:
        return
    repository = Repository.objects.create(project=project, url=f"https://git.example/{key}.git")
    statuses = {status.slug: status for status in TaskStatus.objects.all()}
    for index, (title, slug) in enumerate(
        [("Set up CI", "done"), ("Write onboarding docs", "in-progress"), ("Ship v1", "todo")]
    ):
        Task.objects.create(
            project=project,
            status=statuses[slug],
            title=title,
            assigned_to=owner.id,
            due_date=timezone.localdate() + datetime.timedelta(days=7 * index),
        )
    session = Session.objects.create(
        project=project,
        repository=repository,
        user_id=owner.id,
        agent="assistant",
        started_at=timezone.now(),
        summary="Sketched the first milestone.",
    )
    ContextDocument.objects.create(project=project, kind="spec", title="Product spec", body="…")
    Decision.objects.create(
        project=project,
        session=session,
        title="Use PostgreSQL schemas per tenant",
        status="accepted",
        decision="One schema per organisation.",
    )
