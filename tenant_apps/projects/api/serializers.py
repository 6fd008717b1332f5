from rest_framework import serializers

from tenant_apps.projects.models import Milestone, Project, Repository


class ProjectSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )

    class Meta:
        model = Project
        fields = [
            "id", "key", "name", "description", "status", "tags",
            "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_by"]


class RepositorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Repository
        fields = ["id", "project", "provider", "url", "default_branch", "created_at", "updated_at"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "project", "name", "due_date", "state"]
