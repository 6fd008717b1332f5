"""Reads of projects, repositories and milestones (all inside the current tenant schema)."""

from django.db.models import QuerySet

from tenant_apps.projects.models import Milestone, Project, Repository


def project_list() -> QuerySet[Project]:
    return Project.objects.all()


def repository_list() -> QuerySet[Repository]:
    return Repository.objects.all()


def milestone_list() -> QuerySet[Milestone]:
    return Milestone.objects.all()
