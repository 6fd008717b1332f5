from rest_framework import serializers

from tenant_apps.context.models import (
    ContextDocument,
    ContextSnippet,
    Decision,
    Session,
    SessionEvent,
)


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = [
            "id", "project", "repository", "user_id", "agent", "started_at", "ended_at",
            "summary", "input_tokens", "output_tokens",
        ]  # fmt: skip
        read_only_fields = ["user_id"]
        extra_kwargs = {
            "started_at": {"required": False},
            "input_tokens": {"max_value": 2**62},
            "output_tokens": {"max_value": 2**62},
        }


class SessionEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionEvent
        fields = ["id", "seq", "kind", "content", "metadata", "created_at"]
        read_only_fields = ["seq"]

    def validate_metadata(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        return value


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContextDocument
        fields = [
            "id", "project", "kind", "title", "body", "version", "created_by",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["version", "created_by"]


class SnippetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContextSnippet
        fields = [
            "id", "document", "session", "path", "language", "content", "checksum", "created_at",
        ]  # fmt: skip
        read_only_fields = ["checksum"]


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = [
            "id", "project", "session", "title", "status", "context", "decision",
            "consequences", "created_at", "updated_at",
        ]  # fmt: skip
