"""The task statuses every tenant starts with (seeded by migration 0002)."""

DEFAULT_TASK_STATUSES = [
    {"slug": "todo", "name": "To Do", "color": "#6B7280", "sort_order": 1, "is_completed": False},
    {
        "slug": "in-progress",
        "name": "In Progress",
        "color": "#3B82F6",
        "sort_order": 2,
        "is_completed": False,
    },
    {"slug": "done", "name": "Done", "color": "#10B981", "sort_order": 3, "is_completed": True},
]
