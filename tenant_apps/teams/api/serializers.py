from rest_framework import serializers

from tenant_apps.teams.models import Role, Team, TeamMember


class RoleSerializer(serializers.ModelSerializer):
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )

    class Meta:
        model = Role
        fields = ["id", "name", "slug", "permissions", "is_system"]
        read_only_fields = ["is_system"]


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "member_count", "created_at", "updated_at"]


class TeamMemberSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="slug", queryset=Role.objects.all())

    class Meta:
        model = TeamMember
        fields = ["id", "user_id", "role", "joined_at"]
