from rest_framework import serializers

from tenant_apps.tracker.models import Label, Task, TaskComment, TaskLabel, TaskStatus


class TaskStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskStatus
        fields = ["id", "name", "slug", "color", "sort_order", "is_completed"]


class TaskSerializer(serializers.ModelSerializer):
    labels = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "project", "status", "title", "description", "assigned_to", "priority",
            "due_date", "milestone", "labels", "created_by", "created_at", "updated_at",
            "closed_at",
        ]  # fmt: skip
        read_only_fields = ["created_by", "closed_at"]
        extra_kwargs = {"status": {"required": False}}

    def get_labels(self, task: Task) -> list[str]:
        """Ids of the task's labels (prefetched by the selector)."""
        return [str(task_label.label_id) for task_label in task.task_labels.all()]


class TaskCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskComment
        fields = ["id", "author_id", "body", "created_at", "updated_at"]
        read_only_fields = ["author_id"]


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]


class TaskLabelSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label.name", read_only=True)
    color = serializers.CharField(source="label.color", read_only=True)

    class Meta:
        model = TaskLabel
        fields = ["id", "label", "name", "color"]
