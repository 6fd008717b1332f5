from rest_framework import serializers

from shared_apps.accounts.models import ApiToken, Invitation, Membership, Role


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(
        source="user.email", help_text="Set on creation (an existing user); read-only after."
    )
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "email", "full_name", "role", "created_at"]
        read_only_fields = ["user"]


class ApiTokenSerializer(serializers.ModelSerializer):
    key = serializers.CharField(
        read_only=True, help_text="The secret key: returned once, on creation only."
    )
    user_email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id", "name", "prefix", "key", "user", "user_email", "created_at", "last_used_at",
            "expires_at", "revoked_at",
        ]  # fmt: skip
        read_only_fields = ["prefix", "user", "last_used_at", "revoked_at"]


class InvitationSerializer(serializers.ModelSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The invitation token: returned once, on creation only."
    )
    state = serializers.ChoiceField(
        choices=["pending", "accepted", "revoked", "expired"], read_only=True
    )

    class Meta:
        model = Invitation
        fields = [
            "id", "email", "role", "token", "invited_by", "created_at", "expires_at",
            "accepted_at", "revoked_at", "state",
        ]  # fmt: skip
        read_only_fields = ["invited_by", "accepted_at", "revoked_at"]
        extra_kwargs = {"expires_at": {"required": False}}


class TenantSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.SlugField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    tenant = TenantSummarySerializer()


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=200, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="api")


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(
        max_length=200,
        style={"input_type": "password"},
        help_text="New users choose it; existing users prove who they are with theirs.",
    )
    full_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=100, help_text="The `uidb64` part of the link.")
    token = serializers.CharField(max_length=100)
    new_password = serializers.CharField(max_length=200, style={"input_type": "password"})
